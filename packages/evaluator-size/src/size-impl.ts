import { shapeSize, type QuantizedTensor } from "@quantforge/core";

/** Codes above this use a sort instead of a dense histogram (bounds the histogram at 8 MiB). */
const DENSE_LIMIT = 1 << 20;

/**
 * Histogram of every code of `tensors`, or undefined when a code reaches {@link DENSE_LIMIT}.
 * Works in blocks of 64K codes: the block's max (read while it is in cache) decides whether the
 * histogram grows, so there is no separate pass over all codes. Two interleaved histograms, summed at the end: runs of equal
 * codes (the common case) would otherwise wait on the previous increment of the same bin. The
 * counts are integers, so the sums are exact and the result is the same as one histogram.
 */
function denseHistogram(tensors: readonly QuantizedTensor[]): Float64Array | undefined {
  let size = 256;
  let h0 = new Float64Array(size),
    h1 = new Float64Array(size);
  let top = -1;
  for (const t of tensors) {
    const c = t.codes;
    const n = c.length;
    let i = 0;
    while (i < n) {
      // Grow (or give up) only when a code does not fit; the inner loops have no bounds branch.
      let m = 0;
      const end = Math.min(n, i + 65536);
      for (let k = i; k < end; k++) m = Math.max(m, c[k]!);
      if (m >= size) {
        if (m >= DENSE_LIMIT) return undefined;
        while (size <= m) size *= 2;
        const g0 = new Float64Array(size),
          g1 = new Float64Array(size);
        g0.set(h0);
        g1.set(h1);
        h0 = g0;
        h1 = g1;
      }
      if (m > top) top = m;
      let k = i;
      for (; k + 1 < end; k += 2) {
        h0[c[k]!]!++;
        h1[c[k + 1]!]!++;
      }
      if (k < end) h0[c[k]!]!++;
      i = end;
    }
  }
  const out = new Float64Array(top + 1);
  for (let k = 0; k <= top; k++) out[k] = h0[k]! + h1[k]!;
  return out;
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
