import type { CodeArray } from "./quantized.js";
import { wordAligned } from "./code-array.js";
/** Codes per block of {@link codeHistogram}; a block's four lanes hold at most this many counts. */
const BLOCK = 65536;

/**
 * Counts `c[start…end)` into four interleaved int32 histograms of `size` bins each (lane k mod 4
 * at offset (k mod 4)·size; runs of equal codes would otherwise wait on the previous increment
 * of one bin) and returns the OR of the codes: below a power of two P exactly when the largest
 * code is, so it decides growth like the max without a compare chain. A code ≥ `size` lands in
 * another lane or past the end (dropped); {@link uncountBlock} then undoes exactly those writes.
 */
function countBlock(c: CodeArray, start: number, end: number, h: Int32Array, size: number): number {
  if (size === 256 && c instanceof Uint8Array) return countBytes(c, start, end, h);
  let or = 0,
    k = start;
  if (size === 256) {
    // The common 8-bit case with constant lane offsets.
    for (; k + 3 < end; k += 4) {
      const a = c[k]!,
        b = c[k + 1]!,
        e = c[k + 2]!,
        f = c[k + 3]!;
      h[a]!++;
      h[256 + b]!++;
      h[512 + e]!++;
      h[768 + f]!++;
      or |= a | b | e | f;
    }
  } else {
    const s2 = 2 * size,
      s3 = 3 * size;
    for (; k + 3 < end; k += 4) {
      const a = c[k]!,
        b = c[k + 1]!,
        e = c[k + 2]!,
        f = c[k + 3]!;
      h[a]!++;
      h[size + b]!++;
      h[s2 + e]!++;
      h[s3 + f]!++;
      or |= a | b | e | f;
    }
  }
  for (; k < end; k++) {
    const a = c[k]!;
    h[a]!++;
    or |= a;
  }
  return or >>> 0;
}

/**
 * {@link countBlock} of byte codes into 256-bin lanes: the word-aligned middle is read as 32-bit
 * words ({@link wordAligned}), byte j of a word counted in lane j (one load per 4 codes: 1.9 → 1.35
 * ns per code on 16M codes, issue 18's session-15 note); the unaligned ends in lane 0. Byte codes are all < 256, so
 * this block is never undone.
 */
function countBytes(c: Uint8Array, start: number, end: number, h: Int32Array): number {
  const { words, head, tail } = wordAligned(c, start, end);
  let or = 0;
  for (let k = 0; k < words.length; k++) {
    const x = words[k]!;
    h[x & 255]!++;
    h[256 + ((x >>> 8) & 255)]!++;
    h[512 + ((x >>> 16) & 255)]!++;
    h[768 + (x >>> 24)]!++;
    or |= x;
  }
  or = (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 255;
  for (let k = start; k < head; k++) {
    h[c[k]!]!++;
    or |= c[k]!;
  }
  for (let k = tail; k < end; k++) {
    h[c[k]!]!++;
    or |= c[k]!;
  }
  return or >>> 0;
}

/** Undoes {@link countBlock} of the same block (the same bins, decremented). */
function uncountBlock(c: CodeArray, start: number, end: number, h: Int32Array, size: number): void {
  let k = start;
  for (; k + 3 < end; k += 4) {
    h[c[k]!]!--;
    h[size + c[k + 1]!]!--;
    h[2 * size + c[k + 2]!]!--;
    h[3 * size + c[k + 3]!]!--;
  }
  for (; k < end; k++) h[c[k]!]!--;
}

/** Adds the four lanes of `h` into `into` and clears them. */
function flushLanes(h: Int32Array, size: number, into: Float64Array): void {
  for (let k = 0; k < size; k++) into[k]! += h[k]! + h[size + k]! + h[2 * size + k]! + h[3 * size + k]!;
  h.fill(0);
}

/**
 * Histogram of every value of `arrays` pooled (length: largest value + 1; empty for no values),
 * or undefined when a value reaches `cap` (a power of two). One pass: each block of 64K values is
 * counted into four int32 lanes; a block holding a value the histogram cannot fit is undone, the
 * histogram doubles until it fits, and the block is counted again. Lanes are added into float64
 * counts after every array (a lane holds at most a quarter of one array), so the counts are exact
 * integers and equal one plain histogram. The code-histogram kernel of the coders' tables and the
 * size evaluator's entropies: one copy.
 */
export function codeHistogram(arrays: readonly CodeArray[], cap: number): Float64Array | undefined {
  let size = 256;
  let lanes = new Int32Array(4 * size);
  let counts = new Float64Array(size);
  for (const c of arrays) {
    const n = c.length;
    for (let i = 0; i < n; i += BLOCK) {
      const end = Math.min(n, i + BLOCK);
      const or = countBlock(c, i, end, lanes, size);
      if (or < size) continue;
      uncountBlock(c, i, end, lanes, size);
      // `cap` is a power of two: the OR reaches it exactly when the largest value does.
      if (or >= cap) return undefined;
      flushLanes(lanes, size, counts);
      while (size <= or) size *= 2;
      lanes = new Int32Array(4 * size);
      const grown = new Float64Array(size);
      grown.set(counts);
      counts = grown;
      countBlock(c, i, end, lanes, size);
    }
    flushLanes(lanes, size, counts);
  }
  let top = size - 1;
  while (top >= 0 && counts[top] === 0) top--;
  return counts.slice(0, top + 1);
}

/**
 * The used symbols of dense counts `h` (bins with a positive count, ascending) and their counts:
 * the alphabet a coder builds its table from. One pass counts them, a second fills exact-size arrays.
 */
export function usedSymbols(h: ArrayLike<number>): { symbols: Uint32Array; counts: Float64Array } {
  let k = 0;
  for (let s = 0; s < h.length; s++) if (h[s]! > 0) k++;
  const symbols = new Uint32Array(k),
    counts = new Float64Array(k);
  k = 0;
  for (let s = 0; s < h.length; s++)
    if (h[s]! > 0) {
      symbols[k] = s;
      counts[k++] = h[s]!;
    }
  return { symbols, counts };
}
