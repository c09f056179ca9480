/**
 * Greedy equal-slope bit allocation (pure). Each tensor has candidate operating points
 * (rate R in bits, distortion D ≥ 0, with D additive over tensors); the allocation minimises
 * Σ D subject to Σ R ≤ budget. Classic marginal analysis (Shoham & Gersho 1988): start every
 * tensor at its cheapest point, then repeatedly take the step along a tensor's lower convex
 * hull with the largest distortion decrease per bit that still fits — at the end all taken
 * slopes are ≥ all untaken ones (equal slopes up to the discreteness) — and finally spend what
 * is left on any single-tensor move (hull or not) that lowers Σ D and fits, then on exchange
 * moves (one tensor up, one down) that lower Σ D and fit (up to 128 tensors; 2·T rounds).
 */

/** One candidate operating point of a tensor. */
export interface RdPoint {
  /** Bits the tensor costs with this candidate (codes + codebook). */
  readonly rate: number;
  /** Its distortion (e.g. squared relative output error); Infinity = unusable. */
  readonly dist: number;
}

/** Result of {@link allocate}. */
export interface Allocation {
  /** Chosen candidate index per tensor. */
  readonly choice: Int32Array;
  readonly totalRate: number;
  readonly totalDist: number;
  /** False when even the cheapest candidates exceed the budget (they are chosen anyway). */
  readonly feasible: boolean;
}

/** Indices of the lower convex hull of `pts` by rate, cheapest first, D strictly decreasing. */
export function lowerHull(pts: readonly RdPoint[]): number[] {
  const idx = pts
    .map((_, i) => i)
    .filter((i) => Number.isFinite(pts[i]!.dist) && Number.isFinite(pts[i]!.rate))
    .sort((a, b) => pts[a]!.rate - pts[b]!.rate || pts[a]!.dist - pts[b]!.dist || a - b);
  const hull: number[] = [];
  for (const i of idx) {
    const p = pts[i]!;
    if (hull.length > 0 && p.dist >= pts[hull[hull.length - 1]!]!.dist) continue; // not better than a cheaper point
    // Pop points that lie on or above the segment from their predecessor to p (non-convex).
    while (hull.length >= 2) {
      const a = pts[hull[hull.length - 2]!]!,
        b = pts[hull[hull.length - 1]!]!;
      const cross = (b.rate - a.rate) * (p.dist - a.dist) - (b.dist - a.dist) * (p.rate - a.rate);
      if (cross <= 0) hull.pop();
      else break;
    }
    hull.push(i);
  }
  return hull;
}

/**
 * Chooses one candidate per tensor minimising Σ dist under Σ rate ≤ `budget` (greedy, see the
 * module comment). Deterministic: ties go to the lower tensor index and the lower candidate index.
 *
 * @param points - Per tensor, its candidates (at least one finite point each).
 */
export function allocate(points: readonly (readonly RdPoint[])[], budget: number, opts: { readonly pairRounds?: number; readonly maxPairTensors?: number } = {}): Allocation {
  const pairRounds = opts.pairRounds ?? 2,
    maxPairTensors = opts.maxPairTensors ?? 128;
  const T = points.length;
  const hulls = points.map(lowerHull);
  const choice = new Int32Array(T);
  const pos = new Int32Array(T);
  let rate = 0;
  for (let t = 0; t < T; t++) {
    const h = hulls[t]!;
    if (h.length === 0) throw new RangeError(`tensor ${t} has no usable candidate`);
    choice[t] = h[0]!;
    rate += points[t]![h[0]!]!.rate;
  }
  const feasible = rate <= budget;
  if (feasible) {
    for (;;) {
      let best = -1,
        bestSlope = 0;
      for (let t = 0; t < T; t++) {
        const h = hulls[t]!,
          k = pos[t]!;
        if (k + 1 >= h.length) continue;
        const cur = points[t]![h[k]!]!,
          nxt = points[t]![h[k + 1]!]!;
        const dr = nxt.rate - cur.rate;
        if (rate + dr > budget) continue;
        const slope = (cur.dist - nxt.dist) / dr;
        if (slope > bestSlope) {
          bestSlope = slope;
          best = t;
        }
      }
      if (best < 0) break;
      const h = hulls[best]!;
      rate += points[best]![h[pos[best]! + 1]!]!.rate - points[best]![h[pos[best]!]!]!.rate;
      pos[best]!++;
      choice[best] = h[pos[best]!]!;
    }
    // Spend what is left on the single move that lowers Σ D most, until none fits.
    for (;;) {
      let bt = -1,
        bc = -1,
        gain = 0;
      for (let t = 0; t < T; t++) {
        const cur = points[t]![choice[t]!]!;
        points[t]!.forEach((p, c) => {
          if (!Number.isFinite(p.dist) || rate - cur.rate + p.rate > budget) return;
          const g = cur.dist - p.dist;
          if (g > gain) {
            gain = g;
            bt = t;
            bc = c;
          }
        });
      }
      if (bt < 0) break;
      rate += points[bt]![bc]!.rate - points[bt]![choice[bt]!]!.rate;
      choice[bt] = bc;
    }
    // The budget edge is a knapsack: a large tensor may miss its next step by a few bits that
    // cheaper steps of small tensors took. Exchange moves (one tensor up, another down) that
    // lower Σ D and fit fix that; at most `pairRounds` of them, each the best one found.
    if (T <= maxPairTensors) {
      for (let round = 0; round < pairRounds * T; round++) {
        let best: [number, number, number, number] | null = null,
          gain = 0;
        for (let a = 0; a < T; a++) {
          const ca = points[a]![choice[a]!]!;
          for (let i = 0; i < points[a]!.length; i++) {
            const pa = points[a]![i]!;
            if (!(pa.dist < ca.dist) || !Number.isFinite(pa.rate)) continue;
            const afterA = rate - ca.rate + pa.rate;
            for (let b = 0; b < T; b++) {
              if (b === a) continue;
              const cb = points[b]![choice[b]!]!;
              for (let j = 0; j < points[b]!.length; j++) {
                const pb = points[b]![j]!;
                if (!Number.isFinite(pb.dist) || afterA - cb.rate + pb.rate > budget) continue;
                const g = ca.dist - pa.dist + cb.dist - pb.dist;
                if (g > gain) {
                  gain = g;
                  best = [a, i, b, j];
                }
              }
            }
          }
        }
        if (!best) break;
        const [a, i, b, j] = best;
        rate += points[a]![i]!.rate - points[a]![choice[a]!]!.rate + points[b]![j]!.rate - points[b]![choice[b]!]!.rate;
        choice[a] = i;
        choice[b] = j;
      }
    }
  }
  let dist = 0;
  for (let t = 0; t < T; t++) dist += points[t]![choice[t]!]!.dist;
  return { choice, totalRate: rate, totalDist: dist, feasible };
}

/**
 * The fewest extra bits any single-tensor move that lowers Σ D would cost from `choice`
 * (Infinity when no move lowers it): why an allocation left budget unspent.
 */
export function cheapestImprovingStep(points: readonly (readonly RdPoint[])[], choice: ArrayLike<number>): number {
  let best = Infinity;
  points.forEach((row, t) => {
    const cur = row[choice[t]!]!;
    for (const p of row) if (Number.isFinite(p.dist) && p.dist < cur.dist && p.rate - cur.rate < best) best = p.rate - cur.rate;
  });
  return best;
}
