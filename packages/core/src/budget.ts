import { DecodeError } from "./errors.js";

/**
 * Budgets for decoding files a stranger may have written (SECURITY.md). Every count, dimension
 * and length read from a `.qf` container or a coder stream is checked against these before any
 * typed array is created, so a few bytes can never ask for gigabytes.
 */

/** Most dimensions a tensor may have anywhere in quantforge (more is a typed error, exit 2). */
export const MAX_DIMS = 32;
/** Most codes a codebook may define: codes are stored as `Uint32`. */
export const MAX_CODEBOOK_LEVELS = 2 ** 32;
/** Bytes of memory one decoded element costs while decoding: its u32 code and its float32 value. */
export const DECODED_BYTES_PER_ELEMENT = 8;
/** Default cap on the memory a decode may claim when no `maxDecodedBytes` is given (4 GiB). */
export const DEFAULT_MAX_DECODED_BYTES = 4 * 1024 ** 3;
/**
 * Elements a container may declare beyond what its bytes could hold, when the caller set no
 * explicit budget: `max(FREE_ELEMENTS, EXPANSION × file bytes)`. A legitimate stream stores at
 * least one bit per code except for one-symbol Huffman tables and pruned (sparse) tensors, so a
 * 1024× expansion covers models pruned to 99.8% while a 69-byte file cannot claim 2^30 codes.
 */
export const FREE_ELEMENTS = 2 ** 24;
/** See {@link FREE_ELEMENTS}. */
export const EXPANSION = 1024;

/** Limits a decoder honours; all optional. */
export interface DecodeLimits {
  /**
   * Most elements (sum of `shapeSize` over decoded tensors) the decoder may produce. A coder
   * checks a stream's declared shape against it before allocating its codes.
   */
  readonly maxElements?: number;
}

/** Options of `decodeContainer`. */
export interface DecodeContainerOptions {
  /**
   * Memory the decode may claim, in bytes ({@link DECODED_BYTES_PER_ELEMENT} per element);
   * default {@link DEFAULT_MAX_DECODED_BYTES}.
   */
  readonly maxDecodedBytes?: number;
  /**
   * Also limit the elements to `max(FREE_ELEMENTS, EXPANSION × file bytes)` (default true). The
   * CLI turns it off when the user sets `--max-memory` explicitly.
   */
  readonly limitExpansion?: boolean;
}

/** The element budget of a container of `fileBytes` bytes under `options`. */
export function containerElementBudget(fileBytes: number, options: DecodeContainerOptions = {}): number {
  const cap = Math.floor((options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES) / DECODED_BYTES_PER_ELEMENT);
  if (options.limitExpansion === false) return cap;
  return Math.min(cap, Math.max(FREE_ELEMENTS, EXPANSION * fileBytes));
}

/**
 * The element count of a shape read from a file, refusing more than {@link MAX_DIMS} dimensions,
 * non-integer dimensions and (before any allocation) more than `maxElements` elements. A zero
 * dimension makes the count 0 however large the others are, so `[2^53−1, 0]` is valid.
 *
 * @param what - Names the stream for messages (already escaped by the caller).
 * @throws {DecodeError} (`QF_DECODE`).
 */
export function checkedShapeSize(shape: readonly number[], what: string, maxElements = Number.MAX_SAFE_INTEGER): number {
  if (shape.length > MAX_DIMS) throw new DecodeError(`${what} has ${shape.length} dimensions (at most ${MAX_DIMS}). The file is corrupted.`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new DecodeError(`${what} has a dimension ${d}. The file is corrupted.`);
    if (d === 0) return 0;
  }
  for (const d of shape) {
    n *= d;
    if (n > maxElements) throw new DecodeError(`${what} declares more than ${maxElements} elements, over the decode budget. The file is corrupted, or raise --max-memory if it is genuine.`);
  }
  return n;
}

/** Throws {@link DecodeError} at the first NaN or ±Inf of `values`. */
export function assertFiniteValues(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) throw new DecodeError(`${what} holds a non-finite value (${v}) at index ${i}; quantforge never writes one. The file is corrupted.`);
  }
}
