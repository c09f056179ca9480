/**
 * Numeric core of the support-region quantizer (Tomić et al., "Performance of Post-Training
 * Two-Bits Uniform and Layer-Wise Uniform Quantization for MNIST Dataset from the Perspective of
 * Support Region Choice", 2022 — seed 001; uniform-laplacian.md §1, §4, §5). Typed arrays only;
 * the plugin adapter is `support-region-quantizer.ts`.
 *
 * The quantizer is the symmetric N = 2^R-level midrise uniform quantizer of the σ = 1 design
 * (§1): x = (w − μ)/σ, step Δ = 2·x_max/N, index floor(x/Δ) + N/2 clamped to 0…N − 1, level
 * (q − N/2 + ½)·Δ, mapped back by ŵ = μ + σ·level — exactly core's `grid` codebook expression
 * ŵ = fround(μ + σ·fround((q − N/2 + ½)·Δ)) with the stored float32 μ, σ and x_max.
 */

import { FLT_MAX } from "@quantforge/core";

/** Largest finite float32 (core's; re-exported for this package's public API). */
export { FLT_MAX };

/** μ and σ of one set of weights (one tensor, or every tensor together for global scope). */
export interface CenterScale {
  /** Number of weights. */
  readonly count: number;
  /** The stored mean μ: fround(Σw/n) (0 for no weights). */
  readonly mu: number;
  /**
   * Standard deviation about the stored μ, √(Σ(w − μ)²/n), in float64. It equals the standard
   * deviation about the exact mean up to (mean − μ)², below float32 resolution; taking it about
   * the stored μ makes a constant tensor have σ = 0 exactly, whatever its value.
   */
  readonly sigma: number;
  /** max |w − μ| (0 for no weights). */
  readonly maxDev: number;
}

/**
 * μ (stored as float32) and σ about it over several arrays taken together (spec §4, "σ and μ,
 * one definition everywhere": this quantizer removes the mean). Two passes in float64.
 */
export function centerScale(parts: readonly Float32Array[], opts: { readonly zeroMean?: boolean } = {}): CenterScale {
  let n = 0,
    sum = 0;
  for (const p of parts) {
    n += p.length;
    for (let i = 0; i < p.length; i++) sum += p[i]!;
  }
  if (n === 0) return { count: 0, mu: 0, sigma: 0, maxDev: 0 };
  // zeroMean: μ = 0 and σ = RMS, so that a midtread grid's zero level is exactly 0.
  const mu = opts.zeroMean ? 0 : Math.fround(sum / n);
  let sq = 0,
    maxDev = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const d = p[i]! - mu;
      sq += d * d;
      const a = d < 0 ? -d : d;
      if (a > maxDev) maxDev = a;
    }
  }
  return { count: n, mu, sigma: Math.sqrt(sq / n), maxDev };
}

/**
 * Sorts non-negative float32 values in place by an LSD radix sort on their bit patterns (for
 * x ≥ 0 the IEEE-754 bits order like unsigned integers): three passes of 11 bits, O(n), about
 * 3× faster than `TypedArray.prototype.sort` on 1M values. Values must be +0 or positive.
 */
export function radixSortNonNegative(values: Float32Array): Float32Array {
  const n = values.length;
  if (n < 2) return values;
  let keys: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, n);
  let tmp: Uint32Array = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 2047]!++;
    // A digit every key shares would only copy the array: skip the pass.
    if (count[(keys[0]! >>> shift) & 2047] === n) continue;
    let sum = 0;
    for (let k = 0; k < 2048; k++) {
      const c = count[k]!;
      count[k] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      tmp[count[(key >>> shift) & 2047]!++] = key;
    }
    const x = keys;
    keys = tmp;
    tmp = x;
  }
  if (keys.buffer !== values.buffer) values.set(new Float32Array(keys.buffer, keys.byteOffset, n));
  return values;
}

/**
 * |w − μ|/σ of every weight of `parts` (σ > 0), as float32, sorted ascending. Float32 keeps the
 * sort a fast radix sort; its 6e-8 relative rounding is below the float32 x_max that is stored,
 * and the `mse` choice is checked on the exact quantizer afterwards anyway.
 */
export function sortedDeviations(parts: readonly Float32Array[], mu: number, sigma: number): Float32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const a = new Float32Array(n);
  const inv = 1 / sigma;
  let k = 0;
  for (const p of parts) {
    // Math.abs, not d < 0 ? −d : d: −0 must become +0, or its bit pattern would sort last.
    for (let i = 0; i < p.length; i++) a[k++] = Math.abs((p[i]! - mu) * inv);
  }
  return radixSortNonNegative(a);
}

/**
 * The p-th percentile (0 < p ≤ 100) of sorted values by linear interpolation between order
 * statistics (Hyndman–Fan type 7, numpy's default): h = (n − 1)·p/100,
 * a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋ + 1] − a[⌊h⌋]). p = 100 is the maximum. 0 for no values.
 */
export function percentileSorted(a: Float32Array | Float64Array, p: number): number {
  const n = a.length;
  if (n === 0) return 0;
  const h = ((n - 1) * p) / 100;
  const i = Math.floor(h);
  if (i >= n - 1) return a[n - 1]!;
  return a[i]! + (h - i) * (a[i + 1]! - a[i]!);
}

/** Sorted deviations with prefix sums, so the MSE of any x_max costs O(N·log n). */
export interface SortedDeviations {
  /** |w − μ|/σ ascending. */
  readonly a: Float32Array | Float64Array;
  /** s1[i] = Σ_{j<i} a_j. */
  readonly s1: Float64Array;
  /** s2[i] = Σ_{j<i} a_j². */
  readonly s2: Float64Array;
}

/** Prefix sums of sorted deviations (one pass). */
export function prefixSums(a: Float32Array | Float64Array): SortedDeviations {
  const n = a.length;
  const s1 = new Float64Array(n + 1),
    s2 = new Float64Array(n + 1);
  let x = 0,
    y = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    x += v;
    y += v * v;
    s1[i + 1] = x;
    s2[i + 1] = y;
  }
  return { a, s1, s2 };
}

export { sortedGridError, lloydRefine, mseSearch } from "./support-region-search-impl.js";
export type { MseSearchResult, MseSearchOptions } from "./support-region-search-impl.js";
export { MIN_XMAX_SIGMA, MAX_XMAX_SIGMA, clampXMaxSigma, storableXMax, gridLevels, gridEncode } from "./support-region-grid-impl.js";
export type { GridEncodeStats } from "./support-region-grid-impl.js";
