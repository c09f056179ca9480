import type { FileHandle } from "node:fs/promises";
import { FormatError, IoError, shapeSize, type WeightTensor } from "@quantforge/core";
import { SAFETENSORS_DTYPE_BYTES, isReadableDtype } from "./dtype.js";
import { decodeBfloat16, decodeFloat16, decodeFloat64 } from "./float16-impl.js";
import { handleLabel, openForRead, readHeaderFrom, type ReadHeaderOptions, type SafetensorsTensorInfo } from "./header.js";
import { HOST_LITTLE_ENDIAN, readFully, sizeOption, swapBytes, toIoError } from "./io-impl.js";

/** Options of the tensor readers. */
export interface ReadTensorOptions {
  /**
   * Bytes of stored data converted per step for F16/BF16/F64 (and per chunk of
   * {@link readTensorChunks}). Bounds the scratch memory on top of the output.
   * @default 8_388_608 (8 MiB)
   */
  readonly chunkBytes?: number;
  /**
   * Allocate each tensor's values in a `SharedArrayBuffer`, so worker threads read them in place
   * (no copy when posted). The values are the same either way.
   * @default false
   */
  readonly shared?: boolean;
  /**
   * Ranges of 16 MiB or more are read as 8 MiB pieces, this many in flight (positional reads on
   * libuv's thread pool, which then fault in fresh pages on several cores). Speeds up loading a
   * whole file up front; a reader that overlaps reading with other work is better off with 1,
   * which leaves the pool to its writes (issue 18: 4 slowed the streaming 2 GB `quantize` by ~15 %).
   * @default 1
   */
  readonly readsInFlight?: number;
}

/** Options of {@link streamSafetensors} and {@link loadSafetensors}. */
export interface LoadSafetensorsOptions extends ReadHeaderOptions, ReadTensorOptions {
  /**
   * The whole file's bytes, already read (e.g. by a read started while a CLI loaded its modules).
   * Used only when its length is the size of the file as opened here (else the file is read as
   * usual); the header is still read and validated from the file. F32 tensors at 4-byte aligned
   * offsets (on a little-endian host, and with `shared` only when these bytes are in a
   * `SharedArrayBuffer`) become views of it, without a copy; the others are converted from it.
   * Do not modify it afterwards.
   */
  readonly fileBytes?: Uint8Array;
}

const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

/** Re-checks an entry passed in by a caller (it may come from another file or be hand-made). */
function checkEntry(e: SafetensorsTensorInfo, label: string): number {
  const name = typeof e?.name === "string" ? e.name : "?";
  if (typeof e?.dtype !== "string" || !isReadableDtype(e.dtype)) throw new FormatError(`tensor "${name}" of "${label}" has unreadable dtype ${String(e?.dtype)}. Pass an entry from readSafetensorsHeader.`);
  if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new FormatError(`tensor "${name}" of "${label}" has an invalid shape. Pass an entry from readSafetensorsHeader.`);
  const count = shapeSize(e.shape);
  if (!Number.isSafeInteger(e.begin) || e.begin < 0 || e.end - e.begin !== count * SAFETENSORS_DTYPE_BYTES[e.dtype]) {
    throw new FormatError(`tensor "${name}" of "${label}" has offsets [${e.begin}, ${e.end}) that do not match dtype ${e.dtype} × shape [${e.shape.join(", ")}]. Pass an entry from readSafetensorsHeader.`);
  }
  return count;
}

function truncated(name: string, label: string): FormatError {
  return new FormatError(`the data of tensor "${name}" runs past the end of "${label}": the file is truncated (or shrank while being read). Re-download or re-export it.`);
}

/** Allocates the output, turning V8's RangeError for huge tensors into a typed error. */
function allocate(count: number, name: string, shared = false): Float32Array {
  try {
    return shared ? new Float32Array(new SharedArrayBuffer(count * 4)) : new Float32Array(count);
  } catch (e) {
    throw new IoError(`tensor "${name}" (${count} values) is too large to hold in memory at once. Read it piecewise with readTensorChunks.`, e);
  }
}

/** Reads `n` bytes at file position `pos` into `dst`; returns the count (short only at end of file). */
type ReadAt = (dst: Uint8Array, n: number, pos: number) => Promise<number>;

/** Tensors up to this many stored bytes are served from the read-ahead block of {@link readAhead}. */
const SMALL_TENSOR_BYTES = 64 * 1024;
/** Size of that block. */
const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * A {@link ReadAt} for reading many tensors in offset order: a small range is served from a
 * 1 MiB block read ahead from its position, so a file of 60,000 tiny tensors costs a few dozen
 * reads instead of 60,000 (each a syscall and an event-loop turn). Larger ranges go straight to
 * the file. The bytes returned are the file's bytes either way.
 */
function readAhead(fh: FileHandle, lanes: number): ReadAt {
  let block: Uint8Array | undefined;
  let start = 0,
    length = 0;
  return async (dst, n, pos) => {
    if (n > SMALL_TENSOR_BYTES) return readFully(fh, dst, 0, n, pos, lanes);
    if (block === undefined || pos < start || pos + n > start + length) {
      block ??= new Uint8Array(READ_AHEAD_BYTES);
      start = pos;
      length = 0; // a failed read must not leave a stale block behind
      length = await readFully(fh, block, 0, READ_AHEAD_BYTES, pos);
    }
    const got = Math.max(0, Math.min(n, start + length - pos));
    dst.set(block.subarray(pos - start, pos - start + got));
    return got;
  };
}

/** A {@link ReadAt} over the file's bytes in memory (`LoadSafetensorsOptions.fileBytes`). */
function fromBytes(bytes: Uint8Array): ReadAt {
  return async (dst, n, pos) => {
    const got = Math.max(0, Math.min(n, bytes.length - pos));
    dst.set(bytes.subarray(pos, pos + got));
    return got;
  };
}

/**
 * The tensor `e` as a view of the file's bytes when it is stored as they would be read (F32 on a
 * little-endian host at an offset a Float32Array can start at, in shared memory when `shared` is
 * asked for), else undefined. Issue 18: each tensor read into fresh memory cost its page faults
 * and a copy again after the bytes were already in memory.
 */
function viewOf(e: SafetensorsTensorInfo, bytes: Uint8Array, options: ReadTensorOptions, label: string): WeightTensor | undefined {
  const at = bytes.byteOffset + e.begin;
  if (e.dtype !== "F32" || !HOST_LITTLE_ENDIAN || at % 4 !== 0 || (options.shared === true && !(bytes.buffer instanceof SharedArrayBuffer))) return undefined;
  // Checked here only for a view: the others are checked by the read that converts them.
  return { name: e.name, shape: e.shape.slice(), data: new Float32Array(bytes.buffer, at, checkEntry(e, label)) };
}

/**
 * Reads elements [first, first + out.length) of a tensor into `out`, converting to float32.
 * F32 on a little-endian host is read straight into `out` (no scratch, no copy); the other
 * dtypes pass through a scratch buffer of at most `chunkBytes`, so memory stays output + chunk.
 */
async function readRange(fh: FileHandle, e: SafetensorsTensorInfo, first: number, out: Float32Array, chunkBytes: number, label: string, readAt: ReadAt = (dst, n, pos) => readFully(fh, dst, 0, n, pos)): Promise<void> {
  const size = SAFETENSORS_DTYPE_BYTES[e.dtype];
  const start = e.begin + first * size;
  const bytes = out.length * size;
  const io = async (dst: Uint8Array, n: number, pos: number): Promise<void> => {
    let got: number;
    try {
      got = await readAt(dst, n, pos);
    } catch (err) {
      throw toIoError(err, "read", label);
    }
    if (got < n) throw truncated(e.name, label);
  };
  if (e.dtype === "F32") {
    const dst = new Uint8Array(out.buffer, out.byteOffset, bytes);
    await io(dst, bytes, start);
    if (!HOST_LITTLE_ENDIAN) swapBytes(dst, 4);
    return;
  }
  const per = Math.max(1, Math.floor(chunkBytes / size));
  const scratch = new Uint8Array(Math.min(per, out.length) * size);
  for (let i = 0; i < out.length; i += per) {
    const k = Math.min(per, out.length - i);
    const view = scratch.subarray(0, k * size);
    await io(view, k * size, start + i * size);
    if (!HOST_LITTLE_ENDIAN) swapBytes(view, size);
    const dst = out.subarray(i, i + k);
    // scratch is a fresh ArrayBuffer, so its byte offset 0 is aligned for every typed-array view.
    if (e.dtype === "F64") decodeFloat64(new Float64Array(scratch.buffer, 0, k), dst);
    else if (e.dtype === "F16") decodeFloat16(new Uint16Array(scratch.buffer, 0, k), dst);
    else decodeBfloat16(new Uint16Array(scratch.buffer, 0, k), dst);
  }
}

async function withHandle<T>(source: string | FileHandle, fn: (fh: FileHandle, label: string) => Promise<T>): Promise<T> {
  if (typeof source !== "string") return fn(source, handleLabel(source));
  const fh = await openForRead(source);
  try {
    return await fn(fh, source);
  } finally {
    await fh.close();
  }
}

/**
 * Reads one tensor as float32.
 *
 * F32 is read bit-exactly (NaN payloads included); F16 and BF16 are widened exactly (every value
 * is representable in float32); F64 is rounded to nearest float32 (`Math.fround`), so values
 * beyond ±3.4028235e38 become ±Infinity. Non-finite values are **not** rejected here: a weights
 * file may legitimately hold them, and the pipeline rejects them with `QF_NON_FINITE` when they
 * would be quantized. Call `assertFinite` from `@quantforge/core` to check earlier.
 *
 * @param source - A path (opened and closed here) or an open `FileHandle` (left open; reuse it
 *   to read many tensors without reopening).
 * @param entry - An entry from {@link readSafetensorsHeader} of the same file.
 * @param options - Conversion chunk size.
 * @returns A `WeightTensor` with the entry's name and shape (no role or layer: a weights file
 *   does not say).
 * @throws {IoError} When the file cannot be read.
 * @throws {FormatError} When the data run past the end of the file or the entry is inconsistent.
 * @example
 * const h = await readSafetensorsHeader(path);
 * const w = await readTensor(path, h.tensors[0]!);
 */
export async function readTensor(source: string | FileHandle, entry: SafetensorsTensorInfo, options: ReadTensorOptions = {}): Promise<WeightTensor> {
  return readTensorWith(source, entry, options);
}

async function readTensorWith(source: string | FileHandle, entry: SafetensorsTensorInfo, options: ReadTensorOptions, readAt?: ReadAt): Promise<WeightTensor> {
  const chunkBytes = sizeOption("chunkBytes", options.chunkBytes, DEFAULT_CHUNK_BYTES);
  return withHandle(source, async (fh, label) => {
    const count = checkEntry(entry, label);
    const data = allocate(count, entry.name, options.shared === true);
    const lanes = sizeOption("readsInFlight", options.readsInFlight, 1);
    await readRange(fh, entry, 0, data, chunkBytes, label, readAt ?? ((dst, n, pos) => readFully(fh, dst, 0, n, pos, lanes)));
    return { name: entry.name, shape: entry.shape.slice(), data };
  });
}

/**
 * Reads one tensor piecewise, yielding consecutive row-major runs of float32 values (each a fresh
 * array of about `chunkBytes / dtypeSize` values; the last may be shorter; an empty tensor yields
 * nothing). For tensors too large to hold twice, or at all.
 * @param source - A path or an open `FileHandle` (left open).
 * @param entry - An entry from {@link readSafetensorsHeader} of the same file.
 * @param options - `chunkBytes`: stored bytes per yielded run.
 * @throws {IoError} When the file cannot be read.
 * @throws {FormatError} When the data run past the end of the file.
 */
export async function* readTensorChunks(source: string | FileHandle, entry: SafetensorsTensorInfo, options: ReadTensorOptions = {}): AsyncGenerator<Float32Array, void, undefined> {
  const chunkBytes = sizeOption("chunkBytes", options.chunkBytes, DEFAULT_CHUNK_BYTES);
  const owned = typeof source === "string";
  const fh = owned ? await openForRead(source) : source;
  const label = owned ? source : handleLabel(fh);
  try {
    const count = checkEntry(entry, label);
    const per = Math.max(1, Math.floor(chunkBytes / SAFETENSORS_DTYPE_BYTES[entry.dtype]));
    for (let i = 0; i < count; i += per) {
      const out = allocate(Math.min(per, count - i), entry.name);
      await readRange(fh, entry, i, out, chunkBytes, label);
      yield out;
    }
  } finally {
    if (owned) await fh.close();
  }
}

/**
 * Streams the tensors of a safetensors file one at a time, in data-offset order. Only the
 * tensor being yielded (plus a conversion chunk) is held, so peak memory is about the largest
 * tensor when the consumer drops each one before pulling the next. The header is validated in
 * full before the first tensor is yielded. The file is closed when iteration ends or stops early.
 * @param path - The safetensors file.
 * @param options - Header validation and conversion options.
 * @throws {IoError} When the file is missing or unreadable.
 * @throws {FormatError} When the header or data are malformed.
 * @example
 * for await (const t of streamSafetensors("big.safetensors")) process(t);
 */
export async function* streamSafetensors(path: string, options: LoadSafetensorsOptions = {}): AsyncGenerator<WeightTensor, void, undefined> {
  sizeOption("chunkBytes", options.chunkBytes, DEFAULT_CHUNK_BYTES);
  const fh = await openForRead(path);
  try {
    const header = await readHeaderFrom(fh, path, options);
    const whole = options.fileBytes?.length === header.fileSize ? options.fileBytes : undefined;
    const readAt = whole ? fromBytes(whole) : readAhead(fh, sizeOption("readsInFlight", options.readsInFlight, 1));
    for (const entry of header.tensors) yield (whole && viewOf(entry, whole, options, path)) || (await readTensorWith(fh, entry, options, readAt));
  } finally {
    await fh.close();
  }
}

/**
 * Loads every tensor of a safetensors file as a `WeightSet`, **sorted by data offset** (the
 * order the bytes lie in the file; files written by {@link saveSafetensors} come back in the
 * order they were saved). Memory is the sum of the float32 tensors plus one conversion chunk;
 * the file is never held twice.
 * @param path - The safetensors file.
 * @param options - Header validation and conversion options.
 * @returns The tensors, float32.
 * @throws {IoError} When the file is missing or unreadable.
 * @throws {FormatError} When the header or data are malformed.
 * @example
 * const weights = await loadSafetensors("model.safetensors");
 */
export async function loadSafetensors(path: string, options: LoadSafetensorsOptions = {}): Promise<WeightTensor[]> {
  const out: WeightTensor[] = [];
  for await (const t of streamSafetensors(path, options)) out.push(t);
  return out;
}
