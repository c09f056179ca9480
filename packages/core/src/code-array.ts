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

/** What {@link wordAligned} returns: the words and where the unaligned ends of the range are. */
export interface WordAligned {
  /** The 4-byte-aligned middle of the range as 32-bit words (little-endian hosts: code j of a word in its byte/halfword lane j). */
  readonly words: Int32Array;
  /** Codes `[start, head)` precede the words, codes `[tail, end)` follow them. */
  readonly head: number;
  readonly tail: number;
}

/**
 * Codes `[start, end)` of byte or halfword codes split into their unaligned ends and a 4-byte
 * aligned middle read as 32-bit words: 4 or 2 codes per load (issue 18: byte codes one by one were
 * ~3× the word loop). A code's offset is a multiple of its size, which divides 4, so both ends
 * are whole codes. Offsets are taken modulo 4 arithmetically (not with `&`, which truncates
 * offsets past 2 GiB).
 */
export function wordAligned(codes: Uint8Array | Uint16Array, start = 0, end = codes.length): WordAligned {
  const size = codes.BYTES_PER_ELEMENT;
  const from = codes.byteOffset + start * size,
    to = codes.byteOffset + end * size;
  const a = Math.min(to, from + ((4 - (from % 4)) % 4)),
    b = Math.max(a, to - (to % 4));
  // No words: `a` may then be unaligned, which an Int32Array view refuses even at length 0.
  const words = b > a ? new Int32Array(codes.buffer, a, (b - a) / 4) : new Int32Array(0);
  return { words, head: start + (a - from) / size, tail: start + (b - from) / size };
}
