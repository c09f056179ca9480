import { shapeSize, type QuantizedTensor, type CodeArray } from "@quantforge/core";
import { codeHistogram } from "@quantforge/core/format";

/** Codes above this use a sort instead of a dense histogram (bounds the histogram at 8 MiB). */
const DENSE_LIMIT = 1 << 20;

/**
 * Symbol counts of quantized tensors pooled together: one symbol per code value, plus one extra
 * symbol ("pruned") for every element a sparse tensor does not code. Returns the non-zero counts
 * in ascending symbol order (deterministic), pruned last.
 */
export function symbolCounts(tensors: readonly QuantizedTensor[]): Float64Array {
  let pruned = 0;
  for (const t of tensors) pruned += shapeSize(t.shape) - t.codes.length;
  const counts: number[] = [];
  const h = codeHistogram(
    tensors.map((t) => t.codes),
    DENSE_LIMIT,
  );
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
 * gives the same counts, in the same order, as counting all codes again. `known`: histograms of
 * codes arrays counted ahead (`codeHistogram([codes], cap)`; core's AheadFacts), taken instead.
 */
export function codeEntropies(tensors: readonly QuantizedTensor[], known?: ReadonlyMap<CodeArray, Float64Array>): { readonly each: (number | null)[]; readonly pooled: number | null } {
  const each: (number | null)[] = [];
  let sum: Float64Array | undefined = new Float64Array(0);
  let pruned = 0;
  for (const t of tensors) {
    // A histogram counted ahead (another thread) is the same one when it fits under the cap.
    const ahead = known?.get(t.codes);
    const h = ahead && ahead.length <= DENSE_LIMIT ? ahead : codeHistogram([t.codes], DENSE_LIMIT);
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
