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

export { walkNeuron } from "./vertex-walk-neuron-impl.js";
export type { WalkStats, WalkOptions } from "./vertex-walk-neuron-impl.js";
