import { openRegularFile } from "@quantforge/core/node";
import type { FileHandle } from "node:fs/promises";
import { FormatError } from "@quantforge/core";
import { isKnownDtype, isReadableDtype, knownDtypes, READABLE_DTYPES, SAFETENSORS_DTYPE_BYTES, type SafetensorsDtype } from "./dtype.js";
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

/** What kind of JSON value `v` is, with its article, for messages ("an array", "a number", "null"). */
function jsonKind(v: unknown): string {
  if (v === null) return "null";
  const k = Array.isArray(v) ? "array" : typeof v;
  return `${/^[aeiou]/.test(k) ? "an" : "a"} ${k}`;
}

/** Compact, single-line rendering of a JSON fragment for messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isOffset(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates the decoded JSON header and lays out the tensors.
 * @param json - The header bytes (UTF-8 JSON, possibly space-padded).
 * @param dataOffset - Absolute offset of the data section.
 * @param dataBytes - Length of the data section.
 * @param label - File name for messages.
 * @throws {FormatError} On any violation of the format.
 */
export function parseHeaderJson(json: Uint8Array, dataOffset: number, dataBytes: number, label: string, options: ReadHeaderOptions = {}): { metadata: Record<string, string>; tensors: SafetensorsTensorInfo[] } {
  const where = `"${label}"`;
  let text: string;
  try {
    // fatal: reject invalid UTF-8 instead of inserting U+FFFD; ignoreBOM: keep a BOM so that
    // JSON.parse rejects it, as the reference reader (which requires a leading '{') does.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(json);
  } catch (e) {
    throw new FormatError(`the header of ${where} is not valid UTF-8: the file is corrupt or not safetensors. Re-export it.`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 100);
    throw new FormatError(`the header of ${where} is not valid JSON (${why}): the file is corrupt or not safetensors. Re-export it.`, e);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new FormatError(`the header of ${where} is ${jsonKind(parsed)}, not a JSON object of tensor entries. The file is not safetensors; re-export it.`);
  }

  const metadata: [string, string][] = [];
  const tensors: SafetensorsTensorInfo[] = [];
  const seen = new Set<string>();
  const obj = parsed as Record<string, unknown>;
  for (const name of topLevelKeys(text)) {
    // JSON.parse keeps the last of duplicate keys silently; a duplicated tensor name is ambiguous.
    if (seen.has(name)) throw new FormatError(`the header of ${where} lists "${name}" twice. The file is corrupt; re-export it.`);
    seen.add(name);
    const entry = obj[name];
    if (name === "__metadata__") {
      // The reference reader types this as Option<HashMap<String, String>>, so null means absent.
      if (entry === null) continue;
      if (typeof entry !== "object" || Array.isArray(entry)) {
        throw new FormatError(`"__metadata__" in ${where} is ${jsonKind(entry)}, not a map of strings to strings. Re-export the file with string metadata.`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") throw new FormatError(`"__metadata__" in ${where} must map strings to strings, but key "${k}" holds ${jsonKind(v)}. Re-export the file with string metadata values.`);
        metadata.push([k, v]);
      }
      continue;
    }
    tensors.push(parseEntry(name, entry, dataOffset, dataBytes, where));
  }

  // Stable sort: ties (only empty tensors can share a range) keep their order in the header text.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(tensors, dataOffset, dataBytes, where, options.allowHoles === true);
  return { metadata: Object.fromEntries(metadata), tensors };
}

/**
 * The keys of the top-level object of already-validated JSON `text`, in text order, duplicates
 * included. `Object.keys` cannot give this: it lists integer-like keys first and drops duplicates.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // '"': scan to the closing quote, skipping escapes
      const start = i++;
      while (text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      expectKey = false;
    } else if (c === 0x7b) {
      depth++;
      expectKey = depth === 1;
    } // '{'
    else if (c === 0x5b)
      depth++; // '['
    else if (c === 0x7d || c === 0x5d)
      depth--; // '}' ']'
    else if (c === 0x2c && depth === 1) expectKey = true; // ','
  }
  return keys;
}

/** Validates one tensor entry: dtype, shape, data_offsets and the size they imply. */
function parseEntry(name: string, entry: unknown, dataOffset: number, dataBytes: number, where: string): SafetensorsTensorInfo {
  const t = `tensor "${name}" in ${where}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new FormatError(`${t} is ${jsonKind(entry)}, not an object with dtype, shape and data_offsets. Re-export the file.`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string") throw new FormatError(`${t} has ${dtype === undefined ? "no" : `${jsonKind(dtype)} as`} "dtype" (a string such as "F32" is required). Re-export the file.`);
  if (!isReadableDtype(dtype)) {
    if (isKnownDtype(dtype)) throw new FormatError(`${t} has dtype ${dtype}, which quantforge does not read (it reads ${READABLE_DTYPES.join(", ")}; F64 is narrowed to float32). Convert that tensor to a float dtype first.`);
    throw new FormatError(`${t} has an unknown dtype ${show(dtype)} (safetensors defines ${knownDtypes().join(", ")}). The file is corrupt; re-export it.`);
  }
  if (!Array.isArray(shape)) throw new FormatError(`${t} has ${shape === undefined ? "no" : `${jsonKind(shape)} as`} "shape" (an array of dimensions is required). Re-export the file.`);
  let count = 1;
  for (const d of shape) {
    if (!isOffset(d)) throw new FormatError(`${t} has shape ${show(shape)}: dimensions must be non-negative integers. Re-export the file.`);
    count *= d;
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isOffset(offsets[0]) || !isOffset(offsets[1])) {
    throw new FormatError(`${t} has data_offsets ${offsets === undefined ? "missing" : show(offsets)}; it must be [begin, end], two non-negative integers. Re-export the file.`);
  }
  const [b, e] = offsets as [number, number];
  if (e < b) throw new FormatError(`${t} has data_offsets [${b}, ${e}] with end before begin. The file is corrupt; re-export it.`);
  if (e > dataBytes) throw new FormatError(`${t} has data_offsets [${b}, ${e}] past the end of the ${dataBytes}-byte data section: the file is truncated or corrupt. Re-download or re-export it.`);
  const need = count * SAFETENSORS_DTYPE_BYTES[dtype];
  if (need !== e - b) {
    throw new FormatError(`${t} holds ${e - b} bytes but dtype ${dtype} × shape [${shape.join(", ")}] needs ${Number.isSafeInteger(need) ? need : "more than 2^53"}. The header is inconsistent; re-export the file.`);
  }
  return { name, dtype, shape: shape.slice() as number[], begin: dataOffset + b, end: dataOffset + e };
}

/** Rejects overlapping tensors and, unless allowed, holes (tensors sorted by begin). */
function checkLayout(tensors: readonly SafetensorsTensorInfo[], dataOffset: number, dataBytes: number, where: string, allowHoles: boolean): void {
  let cursor = 0; // relative end of the data covered so far
  let last: SafetensorsTensorInfo | undefined;
  for (const t of tensors) {
    const b = t.begin - dataOffset;
    const e = t.end - dataOffset;
    // An empty tensor covers no bytes, so it can overlap nothing; it still may not sit in a hole's place.
    if (b < cursor && e > b) {
      throw new FormatError(`tensors "${last!.name}" [${last!.begin - dataOffset}, ${last!.end - dataOffset}) and "${t.name}" [${b}, ${e}) overlap in ${where}. The file is corrupt; re-export it.`);
    }
    if (b > cursor && !allowHoles) {
      throw new FormatError(`${where} has ${b - cursor} unused bytes at data offset ${cursor} before tensor "${t.name}"; the safetensors format allows no holes. Re-export the file, or read it with allowHoles: true.`);
    }
    if (e > cursor) {
      cursor = e;
      last = t;
    } else if (last === undefined) last = t;
  }
  if (cursor < dataBytes && !allowHoles) {
    throw new FormatError(`${where} has ${dataBytes - cursor} bytes after the last tensor that no tensor uses; the safetensors format allows no holes. Re-export the file, or read it with allowHoles: true.`);
  }
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
