import { cellCost, cellMean, type SortedData } from "./sorted-impl.js";

/** Relative decrease of the objective below which the iterations stop (spec §3). */
export const STOP_RELATIVE = 1e-9;

/** State of a 1-D (weighted) k-means solution on sorted data: interval cells. */
export interface IntervalClustering {
  /** Centres in shifted coordinates, strictly increasing. */
  readonly centres: Float64Array;
  /** Cell j holds sorted elements [bounds[j], bounds[j+1]); length k + 1. */
  readonly bounds: Uint32Array;
  /** Σ h (v − c)² over all elements (not divided by n). */
  readonly distortion: number;
}

/**
 * Nearest-centre cells of sorted data for strictly increasing centres. In 1-D the importance
 * weight does not change the nearest centre (spec §3, mode 2), so cells are intervals found by
 * binary search: O(k log n). An element v goes above the pair (c_j, c_{j+1}) iff v ≥ c_{j+1} or
 * (v − c_j)² > (c_{j+1} − v)² for c_j < v < c_{j+1}; in floating point both squares are monotone in
 * v there, so the predicate is monotone, and ties go to the lower centre — the same rule the
 * element-wise ECSQ assignment uses.
 */
export function assignIntervals(d: SortedData, centres: Float64Array): Uint32Array {
  const k = centres.length;
  const bounds = new Uint32Array(k + 1);
  bounds[k] = d.n;
  const v = d.v;
  let lo = 0;
  for (let j = 0; j < k - 1; j++) {
    const a = centres[j]!,
      b = centres[j + 1]!;
    let l = lo,
      r = d.n;
    while (l < r) {
      const m = (l + r) >>> 1;
      const x = v[m]!;
      // x ≥ b always belongs above (rounded squares of two nearly equal centres' distances can
      // tie there); below it the comparison is monotone in x.
      if (x >= b || (x > a && (x - a) * (x - a) > (b - x) * (b - x))) r = m;
      else l = m + 1;
    }
    bounds[j + 1] = l;
    lo = l;
  }
  return bounds;
}

/**
 * Weighted means of the cells; empty cells are dropped (centres and bounds compacted). Centre j
 * belongs to cell j; adjacent centroids that are equal up to rounding may come out in either
 * order, so pass them through {@link uniqueSorted} before the next assignment.
 */
export function updateCentres(d: SortedData, bounds: Uint32Array): IntervalClustering {
  const k = bounds.length - 1;
  const c: number[] = [];
  const b: number[] = [0];
  let dist = 0;
  for (let j = 0; j < k; j++) {
    const a = bounds[j]!,
      e = bounds[j + 1]!;
    if (e <= a) continue;
    const m = cellMean(d, a, e);
    c.push(m);
    b.push(e);
    dist += cellCost(d, a, e, m);
  }
  // Dropped empty cells leave their start boundary behind; rebuild contiguous bounds.
  const bounds2 = Uint32Array.from(b);
  return { centres: Float64Array.from(c), bounds: bounds2, distortion: dist };
}

/** Weighted distortion Σ h (v − c)² of given cells and centres. */
export function intervalDistortion(d: SortedData, centres: Float64Array, bounds: Uint32Array): number {
  let s = 0;
  for (let j = 0; j < centres.length; j++) if (bounds[j + 1]! > bounds[j]!) s += cellCost(d, bounds[j]!, bounds[j + 1]!, centres[j]!);
  return s;
}

/** Result of {@link lloyd1d}. */
export interface LloydResult extends IntervalClustering {
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Hessian-weighted Lloyd iterations from `init` (any order; sorted and de-duplicated here):
 * assign by nearest centre, move centres to weighted means Σh·w/Σh (the minimiser of the
 * Hessian-weighted distortion Σ h (w − c)², spec §1), drop empty cells. Stops when no
 * assignment changes or the distortion falls by less than 1e-9 of itself (spec §3).
 * Each step is O(k log n) on the prefix sums.
 */
export function lloyd1d(d: SortedData, init: Float64Array, maxIterations: number): LloydResult {
  const centres = uniqueSorted(init);
  let state = updateCentres(d, assignIntervals(d, centres));
  let prevJ = state.distortion;
  let it = 1;
  let converged = false;
  while (it < maxIterations) {
    // Rounding can order two nearly equal centroids of adjacent cells the wrong way round;
    // the assignment needs strictly increasing centres.
    const nb = assignIntervals(d, uniqueSorted(state.centres));
    if (sameBounds(nb, state.bounds)) {
      converged = true;
      break;
    }
    const next = updateCentres(d, nb);
    it++;
    const drop = prevJ - next.distortion;
    state = next;
    if (drop < STOP_RELATIVE * prevJ) {
      converged = true;
      break;
    }
    prevJ = next.distortion;
  }
  return { ...state, iterations: it, converged };
}

function sameBounds(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Sorted, strictly increasing copy of `c` (NaNs dropped). */
export function uniqueSorted(c: Float64Array): Float64Array {
  const s = Float64Array.from(c)
    .filter((x) => !Number.isNaN(x))
    .sort();
  let k = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i]! > s[k - 1]!) s[k++] = s[i]!;
  return s.slice(0, k);
}

/** k centres spaced linearly between the smallest and largest value (the pinned ECSQ start, spec §3). */
export function linearInit(d: SortedData, k: number): Float64Array {
  const lo = d.v[0]!,
    hi = d.v[d.n - 1]!;
  const c = new Float64Array(k);
  for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1);
  return c;
}

/** Finest histogram the optimal start refines to. */
const MAX_REFINED_BINS = 1 << 20;
/** Largest DP table (clusters × non-empty bins) a refinement may create (64 MB of split indices). */
const MAX_DP_ENTRIES = 1 << 24;

/** Sorted-order starts of the non-empty equal-width bins (plus n at the end). */
function histogramStarts(d: SortedData, bins: number): number[] {
  const n = d.n;
  const lo = d.v[0]!,
    hi = d.v[n - 1]!;
  const starts: number[] = [0];
  if (hi > lo) {
    const width = (hi - lo) / bins;
    let cur = 0;
    for (let i = 1; i < n; i++) {
      const b = Math.min(bins - 1, Math.floor((d.v[i]! - lo) / width));
      if (b !== cur) {
        starts.push(i);
        cur = b;
      }
    }
  }
  starts.push(n);
  return starts;
}

/**
 * Exact optimal 1-D weighted k-means on a fine histogram of the sorted data (dynamic
 * programming, Wang & Song's Ckmeans.1d.dp, with the divide-and-conquer speed-up that the
 * monotone optimal split of 1-D k-means allows): O(k·m log m) for m non-empty bins. Bins are
 * equal-width in value; each carries its weighted mass, sum and sum of squares, so the DP cost
 * of a run of bins is exact for the data they hold (up to splitting inside a bin). Returns the
 * weighted means of the optimal groups — a start from which Lloyd only polishes, where a
 * quantile or linear start leaves 1-D Lloyd stuck far from the optimum. When fewer than 2k bins
 * are non-empty (concentrated data) the histogram is refined ×16 at a time, up to 2^20 bins and
 * a DP table of 2^24 entries.
 */
export function optimalHistogramInit(d: SortedData, k: number, bins: number): Float64Array {
  let starts = histogramStarts(d, bins);
  // Equal-width bins over [min, max] put concentrated data — most values ≈ 1e-4, a handful near
  // ±0.5 — into one or two bins, and the DP then returns fewer centres than asked (11 of 256).
  // Refine ×16 while there are fewer non-empty bins than 2k, up to 2^20 bins, as long as the DP
  // table (k × bins) stays under 2^24 entries. Spread data (≥ 2k bins at once) is unaffected.
  for (let b = bins; starts.length - 1 < 2 * k && b < MAX_REFINED_BINS;) {
    b = Math.min(MAX_REFINED_BINS, b * 16);
    const finer = histogramStarts(d, b);
    if (k * (finer.length - 1) > MAX_DP_ENTRIES) break;
    starts = finer;
  }
  const m = starts.length - 1;
  if (m <= k) {
    const c = new Float64Array(m);
    for (let j = 0; j < m; j++) c[j] = cellMean(d, starts[j]!, starts[j + 1]!);
    return c;
  }
  const S = Uint32Array.from(starts);
  // cost(i, j): bins i..j inclusive as one cluster = S2 − S1²/S0.
  const cost = (i: number, j: number): number => {
    const a = S[i]!,
      b = S[j + 1]!;
    const s0 = d.P0[b]! - d.P0[a]!,
      s1 = d.P1[b]! - d.P1[a]!;
    const e = d.P2[b]! - d.P2[a]! - (s1 * s1) / s0;
    return e > 0 ? e : 0;
  };
  let prev = new Float64Array(m),
    cur = new Float64Array(m);
  const arg = new Int32Array(k * m);
  for (let j = 0; j < m; j++) prev[j] = cost(0, j);
  for (let q = 1; q < k; q++) {
    const row = q * m;
    // Fill cur[j] for j in [q, m): best split t in [q, j], cost prev[t−1] + cost(t, j).
    const solve = (jl: number, jr: number, tl: number, tr: number): void => {
      if (jl > jr) return;
      const jm = (jl + jr) >> 1;
      let best = Infinity,
        bt = tl;
      const hiT = Math.min(jm, tr);
      for (let t = Math.max(tl, q); t <= hiT; t++) {
        const val = prev[t - 1]! + cost(t, jm);
        if (val < best) {
          best = val;
          bt = t;
        }
      }
      cur[jm] = best;
      arg[row + jm] = bt;
      solve(jl, jm - 1, tl, bt);
      solve(jm + 1, jr, bt, tr);
    };
    solve(q, m - 1, q, m - 1);
    [prev, cur] = [cur, prev];
  }
  const c = new Float64Array(k);
  let j = m - 1;
  for (let q = k - 1; q >= 0; q--) {
    const t = q === 0 ? 0 : arg[q * m + j]!;
    c[q] = cellMean(d, S[t]!, S[j + 1]!);
    j = t - 1;
  }
  return c;
}
