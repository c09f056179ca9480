import { STOP_RELATIVE } from "./kmeans-impl.js";
import type { SortedData } from "./sorted-impl.js";

/** A clustering of sorted data with arbitrary (not necessarily interval) cells. */
export interface Clustering {
  /** Centres in shifted coordinates, ascending. */
  readonly centres: Float64Array;
  /** Cluster of each sorted element. */
  readonly assign: Uint32Array;
  /** Members per cluster (all > 0). */
  readonly counts: Float64Array;
  /** D = Σ h (w − c)² / N with h of mean 1 (spec §3, mode 4). */
  readonly distortion: number;
  /** Zeroth-order entropy of the codes, bits per weight. */
  readonly entropy: number;
}

/** Result of {@link iterativeEcsq}. */
export interface EcsqResult extends Clustering {
  readonly lambda: number;
  /** J = D + λ·H. */
  readonly objective: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Zeroth-order entropy (bits) of cluster counts summing to `n`. */
export function entropyOfCounts(counts: ArrayLike<number>, n: number): number {
  let h = 0;
  for (let j = 0; j < counts.length; j++) {
    const c = counts[j]!;
    if (c > 0) h -= (c / n) * Math.log2(c / n);
  }
  return h;
}

/**
 * Entropy-constrained assignment (spec §3, mode 4): each element goes to
 * argmin_j [h_i (w_i − c_j)² − λ log2 p_j], evaluated as (w_i − c_j)² + (λ/h_i)·ℓ_j with
 * ℓ_j = −log2 p_j (same argmin, h_i > 0) so that λ = 0 compares plain squared distances exactly
 * like the interval assignment of k-means. Candidate pruning keeps it exact: after seeding the
 * best cost with the nearest centre and the most probable one, a centre can only win if it lies
 * within r = √(best − (λ/h)·min ℓ) of w (a window in the sorted centres) *and* has
 * (λ/h)·ℓ_j < best (a prefix of the centres sorted by ℓ); the smaller of the two candidate sets
 * is scanned, both found by binary search. Elements with a large h get the narrow spatial window,
 * elements with a tiny h (which simply join a probable cluster) the short ℓ prefix. Returns the
 * number of changed assignments. Ties keep the nearer (lower on equal distance) centre.
 */
export function assignEcsq(d: SortedData, centres: Float64Array, codeLen: Float64Array, lambda: number, assign: Uint32Array, first: boolean): number {
  const k = centres.length,
    v = d.v,
    h = d.h;
  // Centres ordered by code length (most probable first) for the ℓ-prefix candidate set.
  const byL = Uint32Array.from({ length: k }, (_, j) => j).sort((a, b) => codeLen[a]! - codeLen[b]! || a - b);
  const lSorted = new Float64Array(k);
  for (let t = 0; t < k; t++) lSorted[t] = codeLen[byL[t]!]!;
  const minL = k > 0 ? lSorted[0]! : 0,
    jStar = k > 0 ? byL[0]! : 0;
  let p = 0,
    changed = 0;
  for (let i = 0; i < d.n; i++) {
    const x = v[i]!;
    while (p < k && centres[p]! <= x) p++;
    let j0: number;
    if (p === 0) j0 = 0;
    else if (p === k) j0 = k - 1;
    else {
      const a = centres[p - 1]!,
        b = centres[p]!;
      j0 = (x - a) * (x - a) > (b - x) * (b - x) ? p : p - 1;
    }
    let bj = j0;
    if (lambda > 0) {
      const pen = lambda / h[i]!;
      let best = (x - centres[j0]!) * (x - centres[j0]!) + pen * codeLen[j0]!;
      const cs = (x - centres[jStar]!) * (x - centres[jStar]!) + pen * minL;
      if (cs < best) {
        best = cs;
        bj = jStar;
      }
      // Spatial window: |x − c_j| < r.
      const r = Math.sqrt(Math.max(0, best - pen * minL));
      let lo = 0,
        hi = k;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (centres[m]! < x - r) lo = m + 1;
        else hi = m;
      }
      const wStart = lo;
      hi = k;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (centres[m]! <= x + r) lo = m + 1;
        else hi = m;
      }
      const wEnd = lo;
      // ℓ prefix: pen·ℓ_j < best.
      const lim = best / pen;
      lo = 0;
      hi = k;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (lSorted[m]! < lim) lo = m + 1;
        else hi = m;
      }
      const lEnd = lo;
      if (lEnd <= wEnd - wStart) {
        for (let t = 0; t < lEnd; t++) {
          if (pen * lSorted[t]! >= best) break;
          const j = byL[t]!;
          const cost = (x - centres[j]!) * (x - centres[j]!) + pen * lSorted[t]!;
          if (cost < best) {
            best = cost;
            bj = j;
          }
        }
      } else {
        const floor = pen * minL;
        for (let j = j0 - 1; j >= wStart; j--) {
          const dd = (x - centres[j]!) * (x - centres[j]!);
          if (dd + floor >= best) break;
          const cost = dd + pen * codeLen[j]!;
          if (cost < best) {
            best = cost;
            bj = j;
          }
        }
        for (let j = j0 + 1; j < wEnd; j++) {
          const dd = (x - centres[j]!) * (x - centres[j]!);
          if (dd + floor >= best) break;
          const cost = dd + pen * codeLen[j]!;
          if (cost < best) {
            best = cost;
            bj = j;
          }
        }
      }
    }
    if (first || assign[i] !== bj) changed++;
    assign[i] = bj;
  }
  return changed;
}

/**
 * Moves centres to weighted means of their members, sets p_j = |C_j|/N, drops empty clusters
 * and re-sorts centres (re-indexing `assign` in place). Returns the new clustering with D and H.
 */
export function updateEcsq(d: SortedData, k: number, assign: Uint32Array): Clustering {
  const s0 = new Float64Array(k),
    s1 = new Float64Array(k),
    cnt = new Float64Array(k);
  const v = d.v,
    h = d.h,
    n = d.n;
  for (let i = 0; i < n; i++) {
    const j = assign[i]!;
    s0[j]! += h[i]!;
    s1[j]! += h[i]! * v[i]!;
    cnt[j]!++;
  }
  const live: number[] = [];
  for (let j = 0; j < k; j++) if (cnt[j]! > 0) live.push(j);
  const mean = (j: number) => s1[j]! / s0[j]!;
  live.sort((a, b) => mean(a) - mean(b) || a - b);
  const remap = new Uint32Array(k);
  const centres = new Float64Array(live.length),
    counts = new Float64Array(live.length);
  live.forEach((j, r) => {
    remap[j] = r;
    centres[r] = mean(j);
    counts[r] = cnt[j]!;
  });
  let dist = 0;
  for (let i = 0; i < n; i++) {
    const j = remap[assign[i]!]!;
    assign[i] = j;
    const e = v[i]! - centres[j]!;
    dist += h[i]! * e * e;
  }
  return { centres, assign, counts, distortion: n > 0 ? dist / n : 0, entropy: entropyOfCounts(counts, n) };
}

/**
 * Iterative ECSQ (Chou–Lookabaugh–Gray entropy-constrained Lloyd; spec §3, mode 4): minimises
 * J = D + λ·H. Start: the given centres with equal probabilities (so the first assignment is
 * nearest-centre). Each iteration assigns by {@link assignEcsq} and updates by
 * {@link updateEcsq}; it stops when no assignment changes or J falls by less than 1e-9·J —
 * the pinned rule, which with λ = 0 reproduces Hessian-weighted k-means from the same start.
 * `h` must have mean 1 so λ has a fixed unit.
 *
 * @param onIteration - called with each iteration's clustering and J (for tests and traces).
 */
export function iterativeEcsq(d: SortedData, init: Float64Array, lambda: number, maxIterations: number, onIteration?: (c: Clustering, objective: number) => void): EcsqResult {
  let centres: Float64Array = Float64Array.from(init).sort();
  let codeLen: Float64Array = new Float64Array(centres.length).fill(Math.log2(Math.max(1, centres.length)));
  const assign = new Uint32Array(d.n);
  assignEcsq(d, centres, codeLen, lambda, assign, true);
  let state = updateEcsq(d, centres.length, assign);
  let J = state.distortion + lambda * state.entropy;
  onIteration?.(state, J);
  let it = 1,
    converged = false;
  while (it < maxIterations) {
    centres = state.centres;
    codeLen = new Float64Array(centres.length);
    for (let j = 0; j < centres.length; j++) codeLen[j] = -Math.log2(state.counts[j]! / d.n);
    const changed = assignEcsq(d, centres, codeLen, lambda, assign, false);
    if (changed === 0) {
      converged = true;
      break;
    }
    const next = updateEcsq(d, centres.length, assign);
    it++;
    const nextJ = next.distortion + lambda * next.entropy;
    onIteration?.(next, nextJ);
    const drop = J - nextJ;
    state = next;
    J = nextJ;
    if (drop < STOP_RELATIVE * (J + drop)) {
      converged = true;
      break;
    }
  }
  return { ...state, assign, lambda, objective: J, iterations: it, converged };
}
