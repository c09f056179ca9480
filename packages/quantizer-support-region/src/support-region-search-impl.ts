/** MSE-optimal support search of the support-region quantizer on sorted deviations (split from `support-region-impl.ts`, which re-exports it). */

import type { SortedDeviations } from "./support-region-impl.js";

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
