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

/**
 * Smallest support accepted, in units of σ (2^−20). A data-dependent choice can come out as 0
 * (e.g. the 50th percentile of a mostly-constant tensor); the step Δ = 2·x_max/N must stay a
 * positive normal float32, so x_max is raised to this floor (and the caller reports it).
 */
export const MIN_XMAX_SIGMA = 2 ** -20;

/**
 * Largest support accepted, in units of σ (2^40). Only `value:x` on a tensor with a tiny σ gets
 * near it (max|w − μ|/σ ≤ √(n − 1) < 2^16 for any float32 tensor of < 2^32 elements).
 */
export const MAX_XMAX_SIGMA = 2 ** 40;

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

/** First index in a[from…n) with a[i] ≥ v (n if none). */
function lowerBound(a: Float32Array | Float64Array, v: number, from: number): number {
  let lo = from,
    hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Σ (a − â)² of the N-level midrise quantizer with support `xMax` over sorted deviations, in
 * units of σ². By symmetry |x| in [kΔ, (k+1)Δ) goes to (k + ½)Δ, the last cell extending to ∞
 * (overload); a cell's error is S2 − 2c·S1 + n·c² from the prefix sums, found by binary search:
 * O(N/2·log n) per candidate instead of O(n). (A value exactly on a threshold is equally far
 * from both levels, so the side it falls on does not change the error.)
 */
export function sortedGridError(d: SortedDeviations, levels: number, xMax: number): number {
  const { a, s1, s2 } = d;
  const n = a.length,
    half = levels / 2;
  const step = xMax / half;
  let err = 0,
    lo = 0;
  for (let k = 0; k < half && lo < n; k++) {
    const hi = k === half - 1 ? n : lowerBound(a, (k + 1) * step, lo);
    const cnt = hi - lo;
    if (cnt > 0) {
      const c = (k + 0.5) * step;
      const e = s2[hi]! - s2[lo]! - 2 * c * (s1[hi]! - s1[lo]!) + cnt * c * c;
      err += e > 0 ? e : 0;
    }
    lo = hi;
  }
  return err;
}

/**
 * Lloyd-style refinement of x_max from `x0`: with the cells of the current x_max fixed, the
 * error Σ (a − t_k·x)², t_k = (k + ½)/(N/2), is a parabola in x minimised at
 * x* = Σ_k t_k·S1_k / Σ_k n_k·t_k²; re-assigning cells at x* (nearest level) cannot increase
 * it. So the error never increases and the iteration stops at a local minimum of the measured
 * MSE (which is continuous and piecewise quadratic in x_max, but not unimodal).
 */
export function lloydRefine(d: SortedDeviations, levels: number, x0: number, maxIter = 100): { readonly xMax: number; readonly error: number; readonly evaluations: number } {
  const { a, s1 } = d;
  const n = a.length,
    half = levels / 2;
  let x = x0,
    err = sortedGridError(d, levels, x0),
    evaluations = 1;
  for (let it = 0; it < maxIter; it++) {
    const step = x / half;
    let num = 0,
      den = 0,
      lo = 0;
    for (let k = 0; k < half && lo < n; k++) {
      const hi = k === half - 1 ? n : lowerBound(a, (k + 1) * step, lo);
      const t = (k + 0.5) / half;
      num += t * (s1[hi]! - s1[lo]!);
      den += (hi - lo) * t * t;
      lo = hi;
    }
    const next = num / den;
    if (!(next > 0 && Number.isFinite(next))) break;
    const e = sortedGridError(d, levels, next);
    evaluations++;
    if (!(e < err)) break;
    const moved = Math.abs(next - x);
    x = next;
    err = e;
    if (moved <= 1e-13 * x) break;
  }
  return { xMax: x, error: err, evaluations };
}

/** Result of {@link mseSearch}. */
export interface MseSearchResult {
  /** x_max (units of σ) with the least measured error found. */
  readonly xMax: number;
  /** Its Σ (a − â)² in units of σ². */
  readonly error: number;
  /** Number of candidate errors evaluated. */
  readonly evaluations: number;
}

/** Options of {@link mseSearch}. */
export interface MseSearchOptions {
  /** Log-spaced grid points between 0.2σ and max(max|a|, seeds) (default 256). */
  readonly gridPoints?: number;
  /** How many of the best local minima of the grid are refined (default 8). */
  readonly refine?: number;
}

/**
 * The x_max minimising the measured MSE on the sorted deviations (beyond the paper, spec §5):
 * evaluates the `seeds` (the `optimal`, `iterative` and `max` choices) and a log-spaced grid,
 * then refines the best few local minima of that grid — the measured MSE is not unimodal in
 * x_max, so a bracketed search around one point can lose to the simple choices — by a local
 * zoom (two rounds of 16 points between the grid neighbours) followed by {@link lloydRefine}.
 * Never returns a worse error than the best seed. Needs at least one deviation.
 */
export function mseSearch(d: SortedDeviations, levels: number, seeds: readonly number[], opts: MseSearchOptions = {}): MseSearchResult {
  const G = opts.gridPoints ?? 256;
  const R = opts.refine ?? 8;
  const n = d.a.length;
  const top = Math.max(n > 0 ? d.a[n - 1]! : 0, ...seeds.filter((s) => Number.isFinite(s)));
  const lo = Math.min(0.2, top / 2),
    hi = Math.max(top, 2 * lo);
  const xs: number[] = [];
  for (const s of seeds) if (s > 0 && Number.isFinite(s)) xs.push(s);
  const ratio = Math.log(hi / lo);
  for (let g = 0; g < G; g++) xs.push(lo * Math.exp((ratio * g) / (G - 1)));
  xs.sort((p, q) => p - q);
  const errs = xs.map((x) => sortedGridError(d, levels, x));
  let evaluations = xs.length;
  let bestX = xs[0]!,
    bestE = errs[0]!;
  for (let i = 1; i < xs.length; i++)
    if (errs[i]! < bestE) {
      bestE = errs[i]!;
      bestX = xs[i]!;
    }
  // Local minima of the grid (ties resolved by the lower x_max), best first.
  const minima: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if ((i === 0 || errs[i]! <= errs[i - 1]!) && (i === xs.length - 1 || errs[i]! <= errs[i + 1]!)) minima.push(i);
  }
  minima.sort((p, q) => errs[p]! - errs[q]! || p - q);
  for (const i of minima.slice(0, R)) {
    let left = xs[Math.max(0, i - 1)]!,
      right = xs[Math.min(xs.length - 1, i + 1)]!;
    let x = xs[i]!,
      e = errs[i]!;
    for (let round = 0; round < 2; round++) {
      const w = right - left;
      for (let j = 0; j <= 16; j++) {
        const c = left + (w * j) / 16;
        const ce = sortedGridError(d, levels, c);
        evaluations++;
        if (ce < e) {
          e = ce;
          x = c;
        }
      }
      left = Math.max(left, x - w / 16);
      right = Math.min(right, x + w / 16);
    }
    const r = lloydRefine(d, levels, x);
    evaluations += r.evaluations;
    if (r.error < e) {
      e = r.error;
      x = r.xMax;
    }
    if (e < bestE) {
      bestE = e;
      bestX = x;
    }
  }
  // Polish: near its minimum the measured MSE has many tiny local minima (a breakpoint wherever
  // a cell edge k·Δ crosses a weight), so Lloyd can stop one piece short; scan shrinking
  // windows around the best point and restart Lloyd from any improvement.
  for (const width of [0.04, 0.01, 0.0025]) {
    let x = bestX,
      e = bestE;
    for (let j = -32; j <= 32; j++) {
      const c = bestX * (1 + (width * j) / 32);
      const ce = sortedGridError(d, levels, c);
      evaluations++;
      if (ce < e) {
        e = ce;
        x = c;
      }
    }
    if (e < bestE) {
      const r = lloydRefine(d, levels, x);
      evaluations += r.evaluations;
      bestX = r.error < e ? r.xMax : x;
      bestE = Math.min(e, r.error);
    }
  }
  return { xMax: bestX, error: bestE, evaluations };
}

/** Clamps a support (units of σ) into [{@link MIN_XMAX_SIGMA}, {@link MAX_XMAX_SIGMA}]. */
export function clampXMaxSigma(x: number): number {
  return x < MIN_XMAX_SIGMA || !(x === x) ? MIN_XMAX_SIGMA : x > MAX_XMAX_SIGMA ? MAX_XMAX_SIGMA : x;
}

/** The grid step core uses: Δ = fround(2·x_max/N) of the stored float32 x_max. */
function stepOf(xMaxF: number, levels: number): number {
  return Math.fround((2 * xMaxF) / levels);
}

/** Index offset of code 0: N/2 − ½ (midrise) or (N − 1)/2 (midtread), as in core's grid expression. */
function levelOffset(levels: number, midtread: boolean): number {
  return midtread ? (levels - 1) / 2 : levels / 2 - 0.5;
}

function outerFits(xMaxF: number, levels: number, muF: number, sigmaF: number, midtread = false): boolean {
  const outer = Math.fround(levelOffset(levels, midtread) * stepOf(xMaxF, levels));
  return Number.isFinite(Math.fround(muF + sigmaF * outer)) && Number.isFinite(Math.fround(muF - sigmaF * outer));
}

/**
 * The float32 x_max to store for a requested support: clamped to the accepted range, then
 * lowered when the outer levels μ ± σ·(N/2 − ½)·Δ would overflow float32 (weights near ±3e38),
 * so every level decodes to a finite value. `clamped` tells whether it differs from the request
 * by more than the float32 rounding.
 */
export function storableXMax(xMaxSigma: number, levels: number, muF: number, sigmaF: number, midtread = false): { readonly xMax: number; readonly clamped: boolean } {
  const x = clampXMaxSigma(xMaxSigma);
  let xf = Math.fround(x);
  let clamped = x !== xMaxSigma;
  if (sigmaF === 0 || outerFits(xf, levels, muF, sigmaF, midtread)) return { xMax: xf, clamped };
  clamped = true;
  // Largest outer level that stays finite is (FLT_MAX − |μ|)/σ; x_max = outer·(N/2)/offset.
  const half = levels / 2;
  const target = (((FLT_MAX - Math.abs(muF)) / sigmaF) * half) / levelOffset(levels, midtread);
  xf = Math.fround(Math.min(xf, target * (1 - 2 ** -20)));
  // fround may still round the product up past FLT_MAX: shrink until it fits (a few steps).
  for (let i = 0; i < 100_000 && !(xf > 0 && outerFits(xf, levels, muF, sigmaF, midtread)); i++) xf = Math.fround(xf * 0.999);
  return { xMax: xf, clamped };
}

/**
 * The decoded value of every code: core's grid expression
 * fround(μ + σ·fround((q − N/2 + ½)·Δ)) with the stored float32 parameters.
 */
export function gridLevels(levels: number, xMaxF: number, muF: number, sigmaF: number, midtread = false): Float32Array {
  const step = stepOf(xMaxF, levels);
  const off = levelOffset(levels, midtread);
  const lv = new Float32Array(levels);
  for (let q = 0; q < levels; q++) lv[q] = Math.fround(muF + sigmaF * Math.fround((q - off) * step));
  return lv;
}

/** What {@link gridEncode} measured. */
export interface GridEncodeStats {
  /** Σ (w − ŵ)² in float64, ŵ the float32 decoded value. */
  readonly error: number;
  /** Weights beyond the support, |w − μ|/σ > x_max. */
  readonly overload: number;
}

/**
 * Codes of `data` for the stored parameters (into `out` when given) and the exact squared error
 * of their decoded values. q = clamp(floor((w − μ)/(σΔ)) + N/2, 0, N − 1): index
 * k = floor(|x|/Δ) capped at N/2 − 1 plus a sign, with x = 0 on the level +Δ/2 (spec §1; no
 * `sign()` that returns 0). σ = 0 (a constant tensor) puts every weight on code N/2, which
 * decodes to μ exactly.
 */
export function gridEncode(data: Float32Array, levels: number, xMaxF: number, muF: number, sigmaF: number, out: Uint32Array | null, midtread = false): GridEncodeStats {
  const half = levels / 2,
    top = levels - 1;
  // Midtread (N odd): q = round(x/Δ) + (N − 1)/2, so |x| ≤ Δ/2 lands on the level μ exactly.
  const zero = midtread ? (levels - 1) / 2 : half;
  const lv = gridLevels(levels, xMaxF, muF, sigmaF, midtread);
  const step = stepOf(xMaxF, levels);
  const n = data.length;
  let error = 0,
    overload = 0;
  if (sigmaF === 0 || step === 0) {
    const v = lv[zero]!;
    if (out) out.fill(zero, 0, n);
    for (let i = 0; i < n; i++) {
      const e = data[i]! - v;
      error += e * e;
    }
    return { error, overload: 0 };
  }
  const inv = 1 / (sigmaF * step);
  for (let i = 0; i < n; i++) {
    const w = data[i]!;
    const t = (w - muF) * inv;
    let q = midtread ? Math.round(t) + zero : Math.floor(t) + half;
    q = q < 0 ? 0 : q > top ? top : q;
    if (out) out[i] = q;
    const e = w - lv[q]!;
    error += e * e;
    // Branch-free count of the overload region |x| > x_max (t beyond ±N/2 cells).
    overload += +(t > half || t < -half);
  }
  return { error, overload };
}
