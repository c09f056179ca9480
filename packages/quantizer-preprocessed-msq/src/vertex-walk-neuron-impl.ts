/** One neuron's walk to a vertex of P (split from `vertex-walk-impl.ts`, which re-exports it; the method is described there). */

import type { WalkPlan, WalkWorkspace } from "./vertex-walk-impl.js";
import { applyInverse, pivotInverse } from "./vertex-walk-inverse-impl.js";

/** What one walk did. */
export interface WalkStats {
  /** Entering steps taken. */
  readonly steps: number;
  /** Steps that changed the basis. */
  readonly pivots: number;
  /** Coordinates left strictly inside their cells (the only ones MSQ will round), ≤ rank. */
  readonly free: number;
  /** max |T(z − z₀)| after the final correction (T = B₀⁻¹X), relative to max|T z₀| (or 1). */
  readonly residual: number;
}

/** Options of {@link walkNeuron}. */
export interface WalkOptions {
  /** Feasibility tolerance relative to the widest cell (Harris ratio test). @default 1e-9 */
  readonly feasTol?: number;
  /** Pivot tolerance relative to max(1, max|d|): smaller direction entries never block. @default 1e-9 */
  readonly pivotTol?: number;
}

/**
 * Walks one neuron from z (in: the weights, each inside [lo_i, hi_i]; out: the vertex) keeping
 * T·z — hence X·z — fixed. Coordinates that end on a bound are snapped to it exactly, so they
 * equal alphabet levels bit for bit when `lo`/`hi` are levels.
 *
 * @param z - in: the starting point (must satisfy lo ≤ z ≤ hi); out: the vertex
 * @param lo - lower bound of every coordinate (an alphabet level)
 * @param hi - upper bound of every coordinate (an alphabet level; lo = hi fixes the coordinate)
 */
export function walkNeuron(plan: WalkPlan, ws: WalkWorkspace, z: Float64Array, lo: Float64Array, hi: Float64Array, opts: WalkOptions = {}): WalkStats {
  const n = plan.cols,
    r = plan.rank,
    t = plan.t;
  const { binv, basis, isBasic, touched, isTouched, d, g } = ws;
  let width = 0;
  for (let i = 0; i < n; i++) {
    const wd = hi[i]! - lo[i]!;
    if (wd > width) width = wd;
  }
  const feasTol = (opts.feasTol ?? 1e-9) * width;
  const pivRel = opts.pivotTol ?? 1e-9;
  // g = T·z₀: the constraint values the walk must preserve (used by the final correction).
  g.fill(0);
  for (let j = 0; j < n; j++) {
    const zj = z[j]!;
    if (zj === 0) continue;
    const off = j * r;
    for (let k = 0; k < r; k++) g[k] = g[k]! + t[off + k]! * zj;
  }
  binv.fill(0);
  for (let k = 0; k < r; k++) binv[k * r + k] = 1;
  isBasic.fill(0);
  isTouched.fill(0);
  let nTouched = 0;
  for (let k = 0; k < r; k++) {
    basis[k] = plan.basis[k]!;
    isBasic[basis[k]!] = 1;
  }
  let steps = 0,
    pivots = 0;
  for (let oi = 0; oi < n; oi++) {
    const j = plan.order[oi]!;
    if (isBasic[j]) continue;
    const l = lo[j]!,
      h = hi[j]!,
      zj = z[j]!;
    if (l === h) {
      z[j] = l;
      continue;
    }
    const up = h - zj,
      down = zj - l;
    if (up <= 0 || down <= 0) {
      z[j] = up <= 0 ? h : l;
      continue;
    }
    steps++;
    // d = B⁻¹·T_j, using that B⁻¹ differs from I only in its touched columns.
    const toff = j * r;
    applyInverse(binv, r, touched, nTouched, t, toff, d);
    let dmax = 0;
    for (let k = 0; k < r; k++) {
      const v = Math.abs(d[k]!);
      if (v > dmax) dmax = v;
    }
    const pivTol = pivRel * Math.max(1, dmax);
    // Harris ratio test, pass 1, for both directions at once: the largest step with every bound
    // relaxed by feasTol. Moving z_j up by t moves basic b by −t·d_k.
    let tUp = up + feasTol,
      tDown = down + feasTol;
    for (let k = 0; k < r; k++) {
      const dk = d[k]!;
      if (dk > pivTol || dk < -pivTol) {
        const b = basis[k]!;
        const sHi = Math.max(0, hi[b]! - z[b]!) + feasTol,
          sLo = Math.max(0, z[b]! - lo[b]!) + feasTol;
        const ad = Math.abs(dk);
        // dk > 0: going up lowers z_b (hits lo), going down raises it (hits hi).
        const limUp = (dk > 0 ? sLo : sHi) / ad,
          limDown = (dk > 0 ? sHi : sLo) / ad;
        if (limUp < tUp) tUp = limUp;
        if (limDown < tDown) tDown = limDown;
      }
    }
    // Prefer a direction in which j blocks itself (no basis change); among those, or when
    // neither does, the nearer cell end, so that j lands where MSQ would round it.
    const selfUp = up <= tUp,
      selfDown = down <= tDown;
    const s = selfUp !== selfDown ? (selfUp ? 1 : -1) : up <= down ? 1 : -1;
    const selfT = s > 0 ? up : down;
    const tH = s > 0 ? tUp : tDown;
    // Pass 2: among bounds reached within tH, block on the largest |rate| (stable pivots);
    // j itself has rate 1 and wins ties, which avoids a basis change.
    let leave = -1,
      bestRate = selfT <= tH ? 1 : 0,
      step = selfT;
    for (let k = 0; k < r; k++) {
      const rate = -s * d[k]!;
      const ar = Math.abs(rate);
      if (ar <= pivTol || ar <= bestRate) continue;
      const b = basis[k]!;
      const slack = rate > 0 ? Math.max(0, hi[b]! - z[b]!) : Math.max(0, z[b]! - lo[b]!);
      const lim = slack / ar;
      if (lim <= tH) {
        leave = k;
        bestRate = ar;
        step = lim;
      }
    }
    // (pass 1's argmin always qualifies here, so `step` is set whenever j does not block itself.)
    const st = s * step;
    z[j] = zj + st;
    if (st !== 0) {
      for (let k = 0; k < r; k++) {
        const b = basis[k]!;
        z[b] = z[b]! - st * d[k]!;
      }
    }
    if (leave < 0) {
      z[j] = s > 0 ? h : l;
      continue;
    }
    // Basic coordinate `b` hit its bound: snap it and let j take its basis row.
    const b = basis[leave]!;
    const rate = -s * d[leave]!;
    z[b] = rate > 0 ? hi[b]! : lo[b]!;
    isBasic[b] = 0;
    basis[leave] = j;
    isBasic[j] = 1;
    pivots++;
    // B⁻¹ ← E·B⁻¹ with E mapping d to e_leave (product-form update, O(r·touched)).
    if (!isTouched[leave]) {
      isTouched[leave] = 1;
      touched[nTouched++] = leave;
    }
    pivotInverse(binv, r, touched, nTouched, d, leave);
  }
  const residual = correct(plan, ws, z, nTouched);
  let free = 0;
  for (let k = 0; k < r; k++) {
    const b = basis[k]!;
    if (z[b]! !== lo[b]! && z[b]! !== hi[b]!) free++;
  }
  return { steps, pivots, free, residual };
}

/**
 * Removes the rounding drift of the many rank-one steps: ρ = g − T·z, z_B += B⁻¹ρ (iterative
 * refinement with the maintained inverse). Only basic coordinates move, so snapped coordinates
 * stay exactly on their levels.
 */
function correct(plan: WalkPlan, ws: WalkWorkspace, z: Float64Array, nTouched: number): number {
  const n = plan.cols,
    r = plan.rank,
    t = plan.t;
  const { binv, basis, touched, g, rho, d } = ws;
  if (r === 0) return 0;
  let gmax = 0;
  for (let k = 0; k < r; k++) gmax = Math.max(gmax, Math.abs(g[k]!));
  const scale = gmax > 0 ? gmax : 1;
  let res = Infinity;
  for (let it = 0; it < 4; it++) {
    for (let k = 0; k < r; k++) rho[k] = g[k]!;
    for (let j = 0; j < n; j++) {
      const zj = z[j]!;
      if (zj === 0) continue;
      const off = j * r;
      for (let k = 0; k < r; k++) rho[k] = rho[k]! - t[off + k]! * zj;
    }
    let rmax = 0;
    for (let k = 0; k < r; k++) rmax = Math.max(rmax, Math.abs(rho[k]!));
    res = rmax / scale;
    if (res <= 1e-15) break;
    // d = B⁻¹ρ
    applyInverse(binv, r, touched, nTouched, rho, 0, d);
    for (let k = 0; k < r; k++) {
      const b = basis[k]!;
      z[b] = z[b]! + d[k]!;
    }
  }
  return res;
}
