import { shapeSize, type QuantizedTensor } from "@quantforge/core";

/** Codes above this use a sort instead of a dense histogram (bounds the histogram at 8 MiB). */
const DENSE_LIMIT = 1 << 20;

/** Codes per block of {@link denseHistogram}; a block's four lanes hold at most this many counts. */
const BLOCK = 65536;

/**
 * Counts `c[start…end)` into four interleaved int32 histograms of `size` bins each (lane k mod 4
 * at offset (k mod 4)·size; runs of equal codes would otherwise wait on the previous increment
 * of one bin) and returns the OR of the codes: below a power of two P exactly when the largest
 * code is, so it decides growth like the max without a compare chain. A code ≥ `size` lands in
 * another lane or past the end (dropped); {@link uncountBlock} then undoes exactly those writes.
 */
function countBlock(c: Uint32Array, start: number, end: number, h: Int32Array, size: number): number {
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

/** Undoes {@link countBlock} of the same block (the same bins, decremented). */
function uncountBlock(c: Uint32Array, start: number, end: number, h: Int32Array, size: number): void {
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
 * Histogram of every code of `tensors` (length: largest code + 1), or undefined when a code
 * reaches {@link DENSE_LIMIT}. One pass: each block of 64K codes is counted into four int32
 * lanes ({@link countBlock}); a block holding a code the histogram cannot fit is undone, the
 * histogram doubles until it fits, and the block is counted again. Lanes are added into float64
 * counts after every tensor (a lane holds at most a quarter of one tensor's codes). The counts
 * are integers, so the result is the same as one histogram.
 */
function denseHistogram(tensors: readonly QuantizedTensor[]): Float64Array | undefined {
  let size = 256;
  let lanes = new Int32Array(4 * size);
  let counts = new Float64Array(size);
  for (const t of tensors) {
    const c = t.codes;
    const n = c.length;
    for (let i = 0; i < n; i += BLOCK) {
      const end = Math.min(n, i + BLOCK);
      const or = countBlock(c, i, end, lanes, size);
      if (or < size) continue;
      uncountBlock(c, i, end, lanes, size);
      // DENSE_LIMIT is a power of two: the OR reaches it exactly when the largest code does.
      if (or >= DENSE_LIMIT) return undefined;
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
 * Symbol counts of quantized tensors pooled together: one symbol per code value, plus one extra
 * symbol ("pruned") for every element a sparse tensor does not code. Returns the non-zero counts
 * in ascending symbol order (deterministic), pruned last.
 */
export function symbolCounts(tensors: readonly QuantizedTensor[]): Float64Array {
  let pruned = 0;
  for (const t of tensors) pruned += shapeSize(t.shape) - t.codes.length;
  const counts: number[] = [];
  const h = denseHistogram(tensors);
  if (h) {
    for (let k = 0; k < h.length; k++) if (h[k]! > 0) counts.push(h[k]!);
  } else {
    // Huge code values (e.g. a levels codebook with millions of entries): count runs of a sorted copy.
    let total = 0;
    for (const t of tensors) total += t.codes.length;
    const all = new Uint32Array(total);
    let o = 0;
    for (const t of tensors) {
      all.set(t.codes, o);
      o += t.codes.length;
    }
    all.sort();
    for (let i = 0; i < all.length;) {
      let j = i + 1;
      while (j < all.length && all[j] === all[i]) j++;
      counts.push(j - i);
      i = j;
    }
  }
  if (pruned > 0) counts.push(pruned);
  return Float64Array.from(counts);
}

/**
 * Zeroth-order (memoryless) entropy in bits per symbol of a histogram:
 * H = −Σ pₖ·log₂ pₖ = log₂ N − (1/N)·Σ cₖ·log₂ cₖ, in float64, summed in symbol order.
 * It is the lower bound on the average code length of any symbol-by-symbol (memoryless) coder
 * that knows the histogram, e.g. a Huffman or arithmetic coder of the codes (Shannon's source
 * coding theorem); it excludes the cost of storing the histogram or table itself.
 *
 * @returns Bits per symbol (0 for a single symbol), or null for an empty histogram.
 */
export function entropyBits(counts: Float64Array): number | null {
  let n = 0;
  for (let k = 0; k < counts.length; k++) n += counts[k]!;
  if (n === 0) return null;
  let s = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (c > 0) s += c * Math.log2(c);
  }
  // Rounding can leave −1e-16 for a single symbol; entropy is never negative.
  return Math.max(0, Math.log2(n) - s / n);
}

/**
 * Zeroth-order entropy of the codes of `tensors` pooled, in bits per weight. For a sparse
 * (pruned) tensor every element counts: pruned positions are one extra symbol, so the value is
 * the memoryless bound for coding the dense stream "pruned or code q" — positions included.
 */
export function codeEntropyBits(tensors: readonly QuantizedTensor[]): number | null {
  return entropyBits(symbolCounts(tensors));
}

/** The symbol counts of a dense histogram `h` plus `pruned` elements: its non-zero bins in order, pruned last (as {@link symbolCounts}). */
function countsOf(h: Float64Array, pruned: number): Float64Array {
  const counts: number[] = [];
  for (let k = 0; k < h.length; k++) if (h[k]! > 0) counts.push(h[k]!);
  if (pruned > 0) counts.push(pruned);
  return Float64Array.from(counts);
}

/**
 * {@link codeEntropyBits} of each tensor alone and of all pooled, with one pass over the codes:
 * the pooled histogram is the sum of the tensors' (integer counts, exact in float64), so it
 * gives the same counts, in the same order, as counting all codes again.
 */
export function codeEntropies(tensors: readonly QuantizedTensor[]): { readonly each: (number | null)[]; readonly pooled: number | null } {
  const each: (number | null)[] = [];
  let sum: Float64Array | undefined = new Float64Array(0);
  let pruned = 0;
  for (const t of tensors) {
    const h = denseHistogram([t]);
    if (!h) {
      // Huge code values: counted by sorting, per tensor and pooled, as before.
      each.push(codeEntropyBits([t]));
      sum = undefined;
      continue;
    }
    const p = shapeSize(t.shape) - t.codes.length;
    each.push(entropyBits(countsOf(h, p)));
    pruned += p;
    if (!sum) continue;
    if (h.length > sum.length) {
      const g = new Float64Array(h.length);
      g.set(sum);
      sum = g;
    }
    for (let k = 0; k < h.length; k++) sum[k]! += h[k]!;
  }
  return { each, pooled: sum ? entropyBits(countsOf(sum, pruned)) : codeEntropyBits(tensors) };
}
