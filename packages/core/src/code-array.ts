import type { CodeArray } from "./quantized.js";

/**
 * A zeroed array for `length` codes of an alphabet of `size` codes (codes `0 … size−1`): the
 * narrowest of `Uint8Array` (size ≤ 2⁸), `Uint16Array` (≤ 2¹⁶) and `Uint32Array`. Issue 18: an
 * 8-bit tensor's codes in 32-bit words were 4× the bytes every later pass reads, and their fresh
 * pages (~2 µs of page fault per 4 KiB) a tenth of a 50M-weight run.
 */
export function codeArray(length: number, size: number): CodeArray {
  return size <= 256 ? new Uint8Array(length) : size <= 65536 ? new Uint16Array(length) : new Uint32Array(length);
}

/** `codes` as a `Uint32Array`: itself when it is one, else a widened copy (for code that needs 32-bit words). */
export function uint32Codes(codes: CodeArray): Uint32Array {
  return codes instanceof Uint32Array ? codes : Uint32Array.from(codes);
}

/** True when `x` is one of the {@link CodeArray} kinds. */
export function isCodeArray(x: unknown): x is CodeArray {
  return x instanceof Uint8Array || x instanceof Uint16Array || x instanceof Uint32Array;
}
