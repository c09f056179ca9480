import { openRegularFile } from "@quantforge/core/node";
import type { FileHandle } from "node:fs/promises";
import { FormatError } from "@quantforge/core";
import type { SafetensorsDtype } from "./dtype.js";
import { parseHeaderJson } from "./header-json.js";
import { readFully, sizeOption, toIoError } from "./io-impl.js";

/**
 * Default cap on the JSON header length: 100 MB, the same limit as the reference implementation
 * (huggingface/safetensors `MAX_HEADER_SIZE`). It stops a corrupt or hostile 8-byte prefix from
 * making the reader allocate gigabytes before any validation.
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor entry of a safetensors header, with offsets made absolute. */
export interface SafetensorsTensorInfo {
  /** Tensor name (the header key). */
  readonly name: string;
  /** Stored element type. */
  readonly dtype: SafetensorsDtype;
  /** Dimensions, outermost first; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Absolute byte offset of the first data byte in the file (`8 + headerSize + data_offsets[0]`). */
  readonly begin: number;
  /** Absolute byte offset one past the last data byte. */
  readonly end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The path the header was read from (or `fd <n>` for a file handle). */
  readonly path: string;
  /** Total file size in bytes. */
  readonly fileSize: number;
  /** Length of the JSON header in bytes (the little-endian u64 at the start of the file). */
  readonly headerSize: number;
  /** Absolute offset of the data section: `8 + headerSize`. */
  readonly dataOffset: number;
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Tensor entries **sorted by data offset** (ties, only possible for empty tensors, keep their
   * order in the header text). The JSON key order is not used otherwise: the reference writer
   * sorts keys by name, whereas data order is what streaming reads follow.
   */
  readonly tensors: readonly SafetensorsTensorInfo[];
}

/** Options of {@link readSafetensorsHeader} and the readers built on it. */
export interface ReadHeaderOptions {
  /**
   * Largest accepted JSON header, in bytes.
   * @default 100_000_000
   */
  readonly maxHeaderBytes?: number;
  /**
   * Accept unused bytes between, before or after tensors. The format forbids holes ("the byte
   * buffer needs to be entirely indexed, and cannot contain holes", which prevents polyglot
   * files) and the reference reader rejects them, so this is off by default.
   * @default false
   */
  readonly allowHoles?: boolean;
}

/**
 * Reads and validates the header of an open safetensors file.
 * @internal Shared by the public readers; `label` names the file in messages.
 */
export async function readHeaderFrom(fh: FileHandle, label: string, options: ReadHeaderOptions = {}): Promise<SafetensorsHeader> {
  const cap = sizeOption("maxHeaderBytes", options.maxHeaderBytes, SAFETENSORS_MAX_HEADER_BYTES, 0);
  let fileSize: number;
  try {
    fileSize = (await fh.stat()).size;
  } catch (e) {
    throw toIoError(e, "read", label);
  }
  if (fileSize < 8) {
    throw new FormatError(`"${label}" is ${fileSize} bytes, shorter than the 8-byte safetensors length prefix: it is truncated or not safetensors. Re-export it.`);
  }
  const prefix = new Uint8Array(8);
  let got: number;
  try {
    got = await readFully(fh, prefix, 0, 8, 0);
  } catch (e) {
    throw toIoError(e, "read", label);
  }
  if (got < 8) throw new FormatError(`"${label}" ended inside its 8-byte length prefix: it is truncated. Re-export it.`);
  const n = new DataView(prefix.buffer).getBigUint64(0, true);
  if (n > BigInt(cap)) {
    throw new FormatError(`"${label}" declares a ${n}-byte JSON header, above the ${cap}-byte limit: the file is corrupt or not safetensors. Re-export it (raise maxHeaderBytes only for a file you trust).`);
  }
  const headerSize = Number(n);
  if (8 + headerSize > fileSize) {
    throw new FormatError(`"${label}" declares a ${headerSize}-byte header but only ${fileSize - 8} bytes follow the length prefix: the file is truncated. Re-download or re-export it.`);
  }
  const json = new Uint8Array(headerSize);
  try {
    got = await readFully(fh, json, 0, headerSize, 8);
  } catch (e) {
    throw toIoError(e, "read", label);
  }
  if (got < headerSize) throw new FormatError(`"${label}" ended inside its JSON header (the file shrank while being read). Retry when it is complete.`);
  const dataOffset = 8 + headerSize;
  const { metadata, tensors } = parseHeaderJson(json, dataOffset, fileSize - dataOffset, label, options);
  return { path: label, fileSize, headerSize, dataOffset, metadata, tensors };
}

/** Display name of a file handle for messages. */
export function handleLabel(fh: FileHandle): string {
  return `fd ${fh.fd}`;
}

/**
 * Opens `path` for reading, mapping fs errors to {@link IoError}.
 * @internal
 */
export async function openForRead(path: string): Promise<FileHandle> {
  // The shared policy: O_NONBLOCK + fstat, so a FIFO or device is refused instead of hanging.
  // No size cap here: tensors are read one at a time and each is bounded by the file's size.
  return (await openRegularFile(path, { what: "safetensors file", maxBytes: Number.MAX_SAFE_INTEGER })).handle;
}

/**
 * Reads and strictly validates the header of a safetensors file, without reading tensor data.
 *
 * Checks, each failing with a {@link FormatError} (`QF_FORMAT`): the file has the 8-byte length
 * prefix; the header length is within `maxHeaderBytes` and within the file; the header is UTF-8
 * JSON whose top level is an object; `__metadata__` (optional, `null` allowed) maps strings to
 * strings; every other entry has a readable `dtype`, a `shape` of non-negative integers and
 * `data_offsets` `[begin, end]` inside the data section with `begin ≤ end`; the byte size equals
 * product(shape) × dtype size; no two tensors overlap; and (unless `allowHoles`) every data byte
 * belongs to a tensor. Unknown keys inside an entry are ignored, as the reference reader does.
 *
 * @param source - A file path, or an open `FileHandle` (left open).
 * @param options - Header size cap and hole policy.
 * @returns The header with absolute offsets, tensors sorted by data offset.
 * @throws {IoError} When the file is missing or unreadable (`QF_IO`).
 * @throws {FormatError} When the header violates the format (`QF_FORMAT`).
 * @example
 * const h = await readSafetensorsHeader("model.safetensors");
 * for (const t of h.tensors) console.log(t.name, t.dtype, t.shape);
 */
export async function readSafetensorsHeader(source: string | FileHandle, options: ReadHeaderOptions = {}): Promise<SafetensorsHeader> {
  if (typeof source !== "string") return readHeaderFrom(source, handleLabel(source), options);
  const fh = await openForRead(source);
  try {
    return await readHeaderFrom(fh, source, options);
  } finally {
    await fh.close();
  }
}
