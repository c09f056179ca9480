import type { FileHandle } from "node:fs/promises";
import { InvalidOptionsError, IoError } from "@quantforge/core";

/** safetensors stores every multi-byte value little-endian; swap only on big-endian hosts. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest single read/write: Linux caps one syscall near 2 GiB, and smaller calls keep the event loop responsive. */
export const MAX_IO_CHUNK = 64 * 1024 * 1024;

/**
 * Reverses the byte order of each `width`-byte word of `b` in place (little- ↔ big-endian).
 * Used only on big-endian hosts, so the hot paths stay plain typed-array views elsewhere.
 */
export function swapBytes(b: Uint8Array, width: number): void {
  if (width === 1) return;
  const half = width >> 1;
  for (let w = 0; w + width <= b.length; w += width) {
    for (let i = 0; i < half; i++) {
      const a = b[w + i]!;
      b[w + i] = b[w + width - 1 - i]!;
      b[w + width - 1 - i] = a;
    }
  }
}

/** Node's errno code of a failed fs call, if any. */
function errno(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : undefined;
}

/**
 * Turns a Node fs error into an {@link IoError} whose one-line message says what to do.
 * @param e - The error thrown by `node:fs`.
 * @param action - What was attempted, e.g. `read` or `write`.
 * @param path - The file involved.
 */
export function toIoError(e: unknown, action: string, path: string): IoError {
  const code = errno(e);
  const hint =
    code === "ENOENT"
      ? action === "read"
        ? "the file does not exist. Check the path."
        : "its directory does not exist. Create the directory first."
      : code === "EACCES" || code === "EPERM"
        ? "permission denied. Check the file's permissions."
        : code === "EISDIR"
          ? "it is a directory, not a file. Pass a file path."
          : code === "ENOTDIR"
            ? "a component of the path is not a directory. Check the path."
            : code === "ENOSPC"
              ? "the disk is full. Free some space and retry."
              : code === "EMFILE" || code === "ENFILE"
                ? "too many open files. Close some files and retry."
                : `${code ?? (e instanceof Error ? e.message.split("\n")[0] : String(e))}. Check the path and retry.`;
  return new IoError(`cannot ${action} "${path}": ${hint}`, e);
}

/**
 * Reads exactly `length` bytes at `position` into `dst[offset…]`, looping over short reads.
 * @returns The number of bytes read: less than `length` only when the file ended first.
 */
export async function readFully(fh: FileHandle, dst: Uint8Array, offset: number, length: number, position: number, lanes = 1): Promise<number> {
  if (lanes > 1 && length >= PARALLEL_READ_MIN) return readLanes(fh, dst, offset, length, position, lanes);
  return readSerial(fh, dst, offset, length, position);
}

/** With `lanes` > 1, reads of at least this many bytes go through {@link readLanes}. */
export const PARALLEL_READ_MIN = 16 * 1024 * 1024;
/** Piece size of {@link readLanes}. */
const LANE_BYTES = 8 * 1024 * 1024;

/**
 * {@link readFully} of a large range as 8 MiB pieces, `lanes` in flight (positional reads on
 * libuv's thread pool). One read of a large range copies from the page cache and faults in fresh
 * pages on one thread; several in flight use the other cores: 201 MB into fresh
 * SharedArrayBuffers took 125 ms as one read per tensor and 65–75 ms with 4 on a 2-core machine
 * (issue 18). Every piece is awaited even after a failure (no read may still write into `dst`
 * once this returns), then the first error is thrown. The count is that of the prefix read
 * without a gap.
 */
async function readLanes(fh: FileHandle, dst: Uint8Array, offset: number, length: number, position: number, lanes: number): Promise<number> {
  const pieces = Math.ceil(length / LANE_BYTES);
  const got = new Float64Array(pieces);
  let next = 0,
    failure: { e: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < pieces && !failure) {
      const k = next++;
      const at = k * LANE_BYTES,
        n = Math.min(LANE_BYTES, length - at);
      try {
        got[k] = await readSerial(fh, dst, offset + at, n, position + at);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, pieces) }, lane));
  if (failure) throw failure.e;
  let done = 0;
  for (let k = 0; k < pieces; k++) {
    done += got[k]!;
    if (got[k]! < Math.min(LANE_BYTES, length - k * LANE_BYTES)) break;
  }
  return done;
}

/** {@link readFully} as one loop of reads. */
async function readSerial(fh: FileHandle, dst: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = Math.min(length - done, MAX_IO_CHUNK);
    const { bytesRead } = await fh.read(dst, offset + done, n, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `src` at `position`, looping over short writes and capping each call. */
export async function writeFully(fh: FileHandle, src: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < src.length) {
    const n = Math.min(src.length - done, MAX_IO_CHUNK);
    const { bytesWritten } = await fh.write(src, done, n, position + done);
    // A regular file either accepts bytes or throws; zero would loop forever.
    if (bytesWritten <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    done += bytesWritten;
  }
}

/**
 * Validates a size option (bytes): a positive safe integer, or `undefined` for the default.
 * @throws {InvalidOptionsError} Otherwise, naming the option.
 */
export function sizeOption(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionsError("io-safetensors", name, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
