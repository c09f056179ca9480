import type { FileHandle } from "node:fs/promises";

// The positional read and write loops of the reader and writer, with no dependency beyond Node's
// types: the runner imports this subpath (`@quantforge/io-safetensors/fs-loops`) from its CLI's
// first module, to start reading a weights file before its own modules load, and to write its
// outputs in whole calls (issue 18).

/** Largest single read/write: Linux caps one syscall near 2 GiB, and smaller calls keep the event loop responsive. */
export const MAX_IO_CHUNK = 64 * 1024 * 1024;

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

/** Most arrays in one `writev` call (Linux's IOV_MAX). */
const MAX_IOV = 1024;

/**
 * Writes `parts` one after the other from `position`, as if they were one array, without joining
 * them: `writev` calls of up to {@link MAX_IOV} parts and {@link MAX_IO_CHUNK} bytes (a container
 * coded in parts: its streams and the few bytes between them, issue 18), the rest of a short
 * write then part by part.
 * @returns The number of bytes written (the parts' total length).
 */
export async function writeParts(fh: FileHandle, parts: readonly Uint8Array[], position: number): Promise<number> {
  let at = position;
  for (let i = 0; i < parts.length;) {
    let j = i,
      bytes = 0;
    while (j < parts.length && j - i < MAX_IOV && (j === i || bytes + parts[j]!.length <= MAX_IO_CHUNK)) bytes += parts[j++]!.length;
    // One part larger than a call can take is written in capped calls.
    const { bytesWritten } = j === i + 1 && bytes > MAX_IO_CHUNK ? { bytesWritten: 0 } : await fh.writev(parts.slice(i, j), at);
    let pos = at + bytesWritten,
      skip = bytesWritten;
    for (let k = i; k < j && pos < at + bytes; k++) {
      const p = parts[k]!;
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      await writeFully(fh, skip > 0 ? p.subarray(skip) : p, pos);
      pos += p.length - skip;
      skip = 0;
    }
    at += bytes;
    i = j;
  }
  return at - position;
}
