/**
 * The pre-processing step of Maly & Saab (2023), as specified in `methods/preprocessed-msq.md` §2:
 * move each neuron's weights w to a vertex of P = {z : Xz = Xw, l ≤ z ≤ u}. A vertex has at most
 * rank(X) ≤ m coordinates strictly inside their cells; all others sit on a level, so MSQ of the
 * vertex errs only on those few coordinates.
 *
 * The walk is a single pass of bounded revised-simplex steps (no objective, only feasibility):
 * a basis B of r = rank(X) coordinates is kept; each other coordinate j in turn "enters" and moves
 * towards its nearer cell end, the basic coordinates compensating (z_B −= t·B⁻¹X_j keeps Xz
 * fixed — the null vector of X[:, B ∪ {j}] of the spec). The largest feasible step t stops at the
 * first bound hit: either j's own (j is snapped to that level) or a basic coordinate's (it is
 * snapped and leaves, j takes its place; B⁻¹ gets a rank-one Gauss–Jordan update). Every step puts
 * one coordinate on the alphabet for good, so the pass ends at a vertex after ≤ N0 steps of
 * O(r·p) work each (p = basis rows pivoted so far ≤ r): O(N0·r²) per neuron instead of O(N0·r³).
 *
 * X is shared by all neurons of a layer, so it is factorised once ({@link planWalk}): Gauss–Jordan
 * elimination with complete pivoting gives the rank r, r independent columns and T = B₀⁻¹X
 * (identity on those columns). Each neuron then starts from B⁻¹ = I in T's coordinates.
 */

/** The per-layer factorisation shared by every neuron. */
export interface WalkPlan {
  /** Number of columns N0 (the layer's fan-in). */
  readonly cols: number;
  /** Numerical rank r of X (the number of independent equality constraints). */
  readonly rank: number;
  /** The r initial basic columns; row k of T has its identity entry at column `basis[k]`. */
  readonly basis: Int32Array;
  /** T = B₀⁻¹·X[rows, :], column-major: column j occupies `t[j·r … j·r + r)`. */
  readonly t: Float64Array;
  /** Rows of X that carried the r independent constraints. */
  readonly rows: Int32Array;
  /**
   * The order in which coordinates enter the walk: by decreasing column norm ‖X_j‖ (ties by
   * index). Coordinates that enter last tend to stay free, so the ≤ r coordinates MSQ finally
   * rounds are mostly small-norm columns — which minimises E‖X_F(z_F − q_F)‖² = Σ_F ‖X_j‖²·E e_j²,
   * the error term of the spec's bound ‖X_F‖·√m·δ/2.
   */
  readonly order: Int32Array;
}

/** Options of {@link planWalk}. */
export interface PlanOptions {
  /** Relative rank tolerance: pivots below `rankTol · max|X|` count as zero. @default 1e-10 */
  readonly rankTol?: number;
}

/**
 * Factorises the layer input X (`rows × cols`, row-major) once per layer.
 * Gauss–Jordan with complete pivoting: stable for the rank decision and cheap (O(r·m·N0)).
 *
 * @param x - row-major `[rows, cols]` input matrix (samples × fan-in)
 */
export function planWalk(x: ArrayLike<number>, rows: number, cols: number, opts: PlanOptions = {}): WalkPlan {
  const m = rows,
    n = cols;
  const a = new Float64Array(m * n); // column-major working copy: column j at a[j·m …]
  let maxAbs = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = x[i * n + j]!;
      a[j * m + i] = v;
      const av = Math.abs(v);
      if (av > maxAbs) maxAbs = av;
    }
  }
  const tol = (opts.rankTol ?? 1e-10) * maxAbs;
  const rowUsed = new Uint8Array(m),
    colUsed = new Uint8Array(n);
  const prow: number[] = [],
    pcol: number[] = [];
  const kmax = Math.min(m, n);
  // Largest entry over unused rows/columns; recomputed while updating (fused with elimination).
  let bi = -1,
    bj = -1,
    best = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const v = Math.abs(a[j * m + i]!);
      if (v > best) {
        best = v;
        bi = i;
        bj = j;
      }
    }
  }
  const pivotCol = new Float64Array(m);
  for (let k = 0; k < kmax && best > tol && maxAbs > 0; k++) {
    const p = bi,
      q = bj;
    rowUsed[p] = 1;
    colUsed[q] = 1;
    prow.push(p);
    pcol.push(q);
    const qoff = q * m;
    for (let i = 0; i < m; i++) pivotCol[i] = a[qoff + i]!;
    const piv = pivotCol[p]!;
    best = 0;
    bi = -1;
    bj = -1;
    for (let j = 0; j < n; j++) {
      // Earlier pivot columns are unit vectors with a 0 in row p: nothing to eliminate.
      if (colUsed[j]) continue;
      const off = j * m;
      const f = a[off + p]! / piv;
      if (f !== 0) {
        for (let i = 0; i < m; i++) a[off + i] = a[off + i]! - f * pivotCol[i]!;
      }
      a[off + p] = f;
      for (let i = 0; i < m; i++) {
        if (rowUsed[i]) continue;
        const v = Math.abs(a[off + i]!);
        if (v > best) {
          best = v;
          bi = i;
          bj = j;
        }
      }
    }
    // The pivot column is exactly the unit vector e_p after elimination; write it so.
    for (let i = 0; i < m; i++) a[qoff + i] = i === p ? 1 : 0;
  }
  const r = prow.length;
  const norm2 = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = x[i * n + j]!;
      norm2[j] = norm2[j]! + v * v;
    }
  }
  const order = Int32Array.from({ length: n }, (_, j) => j).sort((p1, p2) => norm2[p2]! - norm2[p1]! || p1 - p2);
  const t = new Float64Array(r * n);
  for (let j = 0; j < n; j++) {
    const off = j * m,
      to = j * r;
    for (let k = 0; k < r; k++) t[to + k] = a[off + prow[k]!]!;
  }
  return { cols: n, rank: r, basis: Int32Array.from(pcol), t, rows: Int32Array.from(prow), order };
}

/** Scratch memory for {@link walkNeuron}, reusable across the neurons of a layer. */
export interface WalkWorkspace {
  /** B⁻¹ in T's coordinates, column-major r × r. */
  readonly binv: Float64Array;
  /** Basic coordinate of each basis row. */
  readonly basis: Int32Array;
  /** 1 while a coordinate is basic. */
  readonly isBasic: Uint8Array;
  /** Columns of B⁻¹ that differ from the identity (at most r). */
  readonly touched: Int32Array;
  readonly isTouched: Uint8Array;
  readonly d: Float64Array;
  readonly g: Float64Array;
  readonly rho: Float64Array;
}

/** Allocates the scratch memory for a plan. */
export function createWalkWorkspace(plan: WalkPlan): WalkWorkspace {
  const r = plan.rank;
  return {
    binv: new Float64Array(r * r),
    basis: new Int32Array(r),
    isBasic: new Uint8Array(plan.cols),
    touched: new Int32Array(r),
    isTouched: new Uint8Array(r),
    d: new Float64Array(r),
    g: new Float64Array(r),
    rho: new Float64Array(r),
  };
}

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

/**
 * out = B⁻¹·v where v = src[off … off + r) and B⁻¹ equals the identity outside its touched
 * columns. Four columns per sweep: the O(r·touched) inner loop is the walk's hot spot, and
 * sharing the loads/stores of `out` roughly doubles its throughput.
 */
function applyInverse(binv: Float64Array, r: number, touched: Int32Array, nTouched: number, src: Float64Array, off: number, out: Float64Array): void {
  for (let k = 0; k < r; k++) out[k] = src[off + k]!;
  let c = 0;
  for (; c + 4 <= nTouched; c += 4) {
    const c0 = touched[c]!,
      c1 = touched[c + 1]!,
      c2 = touched[c + 2]!,
      c3 = touched[c + 3]!;
    const a0 = src[off + c0]!,
      a1 = src[off + c1]!,
      a2 = src[off + c2]!,
      a3 = src[off + c3]!;
    // Blank inputs (MNIST's border pixels) give all-zero columns: nothing to add.
    if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
    out[c0] = out[c0]! - a0;
    out[c1] = out[c1]! - a1;
    out[c2] = out[c2]! - a2;
    out[c3] = out[c3]! - a3;
    const b0 = c0 * r,
      b1 = c1 * r,
      b2 = c2 * r,
      b3 = c3 * r;
    for (let k = 0; k < r; k++) {
      out[k] = out[k]! + a0 * binv[b0 + k]! + a1 * binv[b1 + k]! + a2 * binv[b2 + k]! + a3 * binv[b3 + k]!;
    }
  }
  for (; c < nTouched; c++) {
    const col = touched[c]!;
    const a = src[off + col]!;
    if (a === 0) continue;
    out[col] = out[col]! - a;
    const b = col * r;
    for (let k = 0; k < r; k++) out[k] = out[k]! + a * binv[b + k]!;
  }
}

/**
 * B⁻¹ ← E·B⁻¹, where E maps the entering direction d to e_leave (a Gauss–Jordan pivot on row
 * `leave`; the revised simplex's rank-one update). `leave` must already be among the touched
 * columns. Two columns per sweep share the loads of d.
 */
function pivotInverse(binv: Float64Array, r: number, touched: Int32Array, nTouched: number, d: Float64Array, leave: number): void {
  const piv = d[leave]!;
  let c = 0;
  for (; c + 2 <= nTouched; c += 2) {
    const b0 = touched[c]! * r,
      b1 = touched[c + 1]! * r;
    const v0 = binv[b0 + leave]! / piv,
      v1 = binv[b1 + leave]! / piv;
    for (let k = 0; k < r; k++) {
      const dk = d[k]!;
      binv[b0 + k] = binv[b0 + k]! - dk * v0;
      binv[b1 + k] = binv[b1 + k]! - dk * v1;
    }
    binv[b0 + leave] = v0;
    binv[b1 + leave] = v1;
  }
  for (; c < nTouched; c++) {
    const b = touched[c]! * r;
    const v = binv[b + leave]! / piv;
    if (v === 0) continue;
    for (let k = 0; k < r; k++) binv[b + k] = binv[b + k]! - d[k]! * v;
    binv[b + leave] = v;
  }
}
