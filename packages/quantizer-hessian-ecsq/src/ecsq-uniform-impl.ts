/** Uniform (fixed-step) ECSQ and the rate search over its step (split from `ecsq-impl.ts`). */

import { entropyOfCounts, type Clustering } from "./ecsq-impl.js";
import type { SortedData } from "./sorted-impl.js";

/**
 * Uniform quantization, the ECSQ heuristic (spec §3, mode 3): bins of width Δ centred on
 * multiples of Δ (so 0 is a bin centre), bin index round(w/Δ); each non-empty bin's level is the
 * plain or importance-weighted mean of its members, and with `pinZero` the bin around 0 has
 * level exactly 0 (pruned networks need it). Near-optimal with entropy coding at high rate
 * (Gish–Pierce). Cells are intervals in sorted order.
 */
export function uniformEcsq(d: SortedData, step: number, weighted: boolean, pinZero: boolean): Clustering {
  const n = d.n,
    raw = d.raw,
    h = d.h,
    v = d.v;
  const centres: number[] = [],
    counts: number[] = [];
  const assign = new Uint32Array(n);
  let i = 0;
  while (i < n) {
    const b = Math.round(raw[i]! / step);
    let e = i;
    let s0 = 0,
      s1 = 0;
    while (e < n && Math.round(raw[e]! / step) === b) {
      const w = weighted ? h[e]! : 1;
      s0 += w;
      s1 += w * v[e]!;
      e++;
    }
    const j = centres.length;
    centres.push(pinZero && b === 0 ? -d.shift : s1 / s0);
    counts.push(e - i);
    assign.fill(j, i, e);
    i = e;
  }
  let dist = 0;
  for (let t = 0; t < n; t++) {
    const e = v[t]! - centres[assign[t]!]!;
    dist += h[t]! * e * e;
  }
  return { centres: Float64Array.from(centres), assign, counts: Float64Array.from(counts), distortion: n ? dist / n : 0, entropy: entropyOfCounts(counts, n) };
}

/** Number of Δ-bins spanning [min, max] (empty interior bins included). */
export function uniformSpan(d: SortedData, step: number): number {
  return Math.round(d.raw[d.n - 1]! / step) - Math.round(d.raw[0]! / step) + 1;
}

/** The smallest Δ whose bins over [min, max] number at most k (bisection; the count is monotone in Δ). */
export function stepForClusters(d: SortedData, k: number): number {
  const range = d.raw[d.n - 1]! - d.raw[0]!;
  const amax = Math.max(Math.abs(d.raw[0]!), Math.abs(d.raw[d.n - 1]!));
  if (range === 0) return amax > 0 ? 2 * amax + 1 : 1;
  if (k <= 1) return 2 * amax * 1.000001 + Number.MIN_VALUE;
  let lo = range / (k + 1),
    hi = Math.max(range / Math.max(1, k - 2), 2 * amax * 1.000001);
  for (let i = 0; i < 100 && uniformSpan(d, hi) > k; i++) hi *= 2;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (uniformSpan(d, mid) <= k) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** One point of a rate search. */
export interface SearchPoint<T> {
  readonly x: number;
  readonly rate: number;
  readonly result: T;
}

/**
 * Searches a parameter x ≥ 0 whose rate (entropy, bits) should be `target`, assuming the rate
 * tends to fall as x grows but may be piecewise constant and not monotone (H(λ), spec §3): first
 * brackets by doubling from `x0`, then bisects (geometrically once both ends are positive) until
 * the rate is within `tolerance` or `maxSteps` evaluations were spent. Returns every evaluated
 * point and the one closest to the target (ties: the lower rate).
 */
export function searchRate<T>(evaluate: (x: number) => { rate: number; result: T }, target: number, opts: { x0: number; lower: number; tolerance: number; maxSteps: number }): { best: SearchPoint<T>; points: SearchPoint<T>[] } {
  const points: SearchPoint<T>[] = [];
  const ev = (x: number): SearchPoint<T> => {
    const r = evaluate(x);
    const p = { x, rate: r.rate, result: r.result };
    points.push(p);
    return p;
  };
  const closer = (a: SearchPoint<T>, b: SearchPoint<T>) => {
    const da = Math.abs(a.rate - target),
      db = Math.abs(b.rate - target);
    return da < db || (da === db && a.rate < b.rate);
  };
  let best = ev(opts.lower);
  if (best.rate <= target + opts.tolerance) return { best, points };
  let lo = opts.lower;
  let hi = opts.x0;
  let ph = ev(hi);
  if (closer(ph, best)) best = ph;
  while (ph.rate > target && points.length < opts.maxSteps) {
    lo = hi;
    hi *= 2;
    ph = ev(hi);
    if (closer(ph, best)) best = ph;
  }
  while (Math.abs(best.rate - target) > opts.tolerance && points.length < opts.maxSteps) {
    const mid = lo > 0 ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    const pm = ev(mid);
    if (closer(pm, best)) best = pm;
    if (pm.rate > target) lo = mid;
    else hi = mid;
  }
  return { best, points };
}
