/**
 * GPTQ (Frantar, Ashkboos, Hoefler & Alistarh 2022, "GPTQ: Accurate Post-Training Quantization
 * for Generative Pre-trained Transformers"), the algorithm of the reference `gptq.py`
 * (IST-DASLab/gptq, `GPTQ.fasterquant`), on a kernel stored `[K, N]` (fan-in rows, fan-out
 * columns, tfjs/ONNX-MatMul layout). In the paper's notation W is `[N, K]`; its column k is our
 * row k.
 *
 *   H = (2/m)·XᵀX from the layer inputs X `[m, K]`; inputs that are zero on every sample
 *     ("dead", diag 0) get H_kk = 1 (their weights are rounded without feedback);
 *   actOrder: columns processed by decreasing H_kk;
 *   H += λ·mean(diag H)·I (λ = `dampening`); U = upper Cholesky factor of H⁻¹ (float64);
 *   for each block of B = 128 columns, for each column k in it:
 *     q_k = Q(w_k) on the grid of each element's group,  e = (w_k − q_k)/U_kk,
 *     w_j −= e·U_kj for the later columns j of the block;
 *   then every later column j outside the block: w_j −= Σ_{k in block} e_k·U_kj (lazy batch update).
 *
 * Grids: a group's scale/zero point is fixed when the first of its elements is quantized, from
 * the group's current (error-updated) values — for per-tensor and per-output-channel grids that
 * is the original W (nothing is updated before the first column, as `find_params(W)` in the
 * reference); for groups inside a column it is `find_params` on the updated column, as the
 * reference does at each group start. Unlike the reference, dead inputs keep their (rounded)
 * weights instead of being zeroed: calibration data saying an input is always 0 does not make it
 * 0 on other data.
 */
import { gridParams, nearestCode, type GridSpec, gridLevels } from "./grid.js";
import { upperCholeskyOfInverse } from "./linalg.js";

/** One layer's GPTQ problem. */
export interface GptqLayerProblem {
  /** Kernel `[K, N]` row-major (float32 or float64 copy; not modified). */
  readonly w: ArrayLike<number>;
  readonly k: number;
  readonly n: number;
  /** H = (2/m)·XᵀX, `[K, K]` row-major float64 (not modified). */
  readonly h: Float64Array;
  /** Group index of every kernel element (row-major `[K, N]`), 0 … groups − 1. */
  readonly groups: Int32Array;
  readonly groupCount: number;
  readonly spec: GridSpec;
  /** λ: H += λ·mean(diag H)·I. */
  readonly dampening: number;
  readonly actOrder: boolean;
  /** Columns per lazy-batch block (128 in the paper). */
  readonly blockSize: number;
}

/** GPTQ's result for one layer. */
export type GptqLayerResult =
  { readonly ok: true; readonly codes: Uint32Array; readonly scale: Float32Array; readonly zeroPoint: Float32Array; readonly levels: number; readonly deadColumns: number } | { readonly ok: false; readonly failedColumn: number };

/** Processing order of the columns: identity, or decreasing diag(H) (ties by index, so deterministic). */
export function columnOrder(h: Float64Array, k: number, actOrder: boolean): Int32Array {
  const perm = Int32Array.from({ length: k }, (_, i) => i);
  if (!actOrder) return perm;
  return Int32Array.from([...perm].sort((a, b) => h[b * k + b]! - h[a * k + a]! || a - b));
}

/** The damped, dead-column-fixed, permuted Hessian `Hp[i][j] = H[perm i][perm j]`. */
function preparedHessian(p: GptqLayerProblem, perm: Int32Array): { hp: Float64Array; dead: number } {
  const { k, h } = p;
  const diag = new Float64Array(k);
  let dead = 0;
  for (let i = 0; i < k; i++) {
    const d = h[i * k + i]!;
    if (d === 0) dead++;
    diag[i] = d === 0 ? 1 : d;
  }
  let mean = 0;
  for (let i = 0; i < k; i++) mean += diag[i]!;
  mean /= Math.max(1, k);
  const damp = p.dampening * mean;
  const hp = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const pi = perm[i]!;
    for (let j = 0; j < k; j++) hp[i * k + j] = i === j ? diag[pi]! + damp : h[pi * k + perm[j]!]!;
  }
  return { hp, dead };
}

/**
 * Runs GPTQ on one layer (see the module comment).
 *
 * @returns codes (row-major like `w`), the float32 grid of every group, or `ok: false` with the
 *   column whose pivot failed when H is not positive definite after dampening.
 */
export function gptqLayer(p: GptqLayerProblem): GptqLayerResult {
  const { k: K, n: N, spec, blockSize } = p;
  const perm = columnOrder(p.h, K, p.actOrder);
  const { hp, dead } = preparedHessian(p, perm);
  const chol = upperCholeskyOfInverse(hp, K);
  if ("failedAt" in chol) return { ok: false, failedColumn: perm[chol.failedAt]! };
  const u = chol.u;
  // wp[i] = current values of column perm[i] (our row perm[i]).
  const wp = new Float64Array(K * N);
  const pos = new Int32Array(K);
  for (let i = 0; i < K; i++) {
    pos[perm[i]!] = i;
    for (let c = 0; c < N; c++) wp[i * N + c] = p.w[perm[i]! * N + c]!;
  }
  // Members of each group (CSR), for the lazy grid fit.
  const G = p.groupCount;
  const start = new Int32Array(G + 1);
  for (let e = 0; e < p.groups.length; e++) start[p.groups[e]! + 1]!++;
  for (let g = 0; g < G; g++) start[g + 1]! += start[g]!;
  const members = new Int32Array(p.groups.length);
  const fill = start.slice(0, G);
  for (let e = 0; e < p.groups.length; e++) members[fill[p.groups[e]!]!++] = e;
  const scale = new Float32Array(G),
    zeroPoint = new Float32Array(G);
  const ready = new Uint8Array(G);
  const tmp = new Float64Array(2);
  const fit = (g: number): void => {
    let lo = Infinity,
      hi = -Infinity;
    for (let t = start[g]!; t < start[g + 1]!; t++) {
      const e = members[t]!;
      const v = wp[pos[(e / N) | 0]! * N + (e % N)]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    gridParams(lo, hi, spec, tmp);
    scale[g] = tmp[0]!;
    zeroPoint[g] = tmp[1]!;
    ready[g] = 1;
  };
  const levels = gridLevels(spec),
    maxCode = levels - 1;
  const codes = new Uint32Array(K * N);
  const err = new Float64Array(blockSize * N);
  for (let i1 = 0; i1 < K; i1 += blockSize) {
    const i2 = Math.min(K, i1 + blockSize);
    for (let i = i1; i < i2; i++) {
      const col = perm[i]!,
        d = u[i * K + i]!;
      const wi = i * N,
        ei = (i - i1) * N;
      for (let c = 0; c < N; c++) {
        const e = col * N + c,
          g = p.groups[e]!;
        if (!ready[g]) fit(g);
        const s = scale[g]!,
          z = zeroPoint[g]!;
        const w = wp[wi + c]!;
        const q = nearestCode(w, s, z, maxCode);
        codes[e] = q;
        err[ei + c] = (w - Math.fround((q - z) * s)) / d;
      }
      for (let j = i + 1; j < i2; j++) {
        const uij = u[i * K + j]!;
        if (uij === 0) continue;
        const wj = j * N;
        for (let c = 0; c < N; c++) wp[wj + c]! -= err[ei + c]! * uij;
      }
    }
    for (let j = i2; j < K; j++) {
      const wj = j * N;
      for (let i = i1; i < i2; i++) {
        const uij = u[i * K + j]!;
        if (uij === 0) continue;
        const ei = (i - i1) * N;
        for (let c = 0; c < N; c++) wp[wj + c]! -= err[ei + c]! * uij;
      }
    }
  }
  fillEmptyGroups(ready, scale, zeroPoint, spec, maxCode);
  return { ok: true, codes, scale, zeroPoint, levels, deadColumns: dead };
}

/** Groups with no element keep a neutral grid (scale 1, the mid code as zero when symmetric). */
function fillEmptyGroups(ready: Uint8Array, scale: Float32Array, zeroPoint: Float32Array, spec: GridSpec, maxCode: number): void {
  for (let g = 0; g < ready.length; g++)
    if (!ready[g]) {
      scale[g] = 1;
      zeroPoint[g] = spec.scheme === "symmetric" ? maxCode / 2 : 0;
    }
}

/**
 * {@link gptqLayer} with H = I, computed directly: every element rounded to the nearest code of
 * its group's grid, fitted on the original values. With H = I the factor U is diagonal, so GPTQ
 * feeds no error forward and returns exactly these codes and grids; building the K×K identity and
 * its Cholesky factor instead costs K² memory and K³ time, with K = the elements over the last
 * axis — 10⁴ for a `[50, 200, 1, 1]` ONNX conv, 800 MB and a run that never ends.
 */
export function roundToGrid(p: Pick<GptqLayerProblem, "w" | "groups" | "groupCount" | "spec">): GptqLayerResult & { ok: true } {
  const { w, groups, spec } = p;
  const G = p.groupCount;
  const lo = new Float64Array(G).fill(Infinity),
    hi = new Float64Array(G).fill(-Infinity);
  const ready = new Uint8Array(G);
  // Ascending element order, as gptqLayer's group members: the same first extreme wins a ±0 tie.
  for (let e = 0; e < groups.length; e++) {
    const g = groups[e]!,
      v = w[e]!;
    ready[g] = 1;
    if (v < lo[g]!) lo[g] = v;
    if (v > hi[g]!) hi[g] = v;
  }
  const scale = new Float32Array(G),
    zeroPoint = new Float32Array(G);
  const tmp = new Float64Array(2);
  for (let g = 0; g < G; g++)
    if (ready[g]) {
      gridParams(lo[g]!, hi[g]!, spec, tmp);
      scale[g] = tmp[0]!;
      zeroPoint[g] = tmp[1]!;
    }
  const levels = gridLevels(spec),
    maxCode = levels - 1;
  fillEmptyGroups(ready, scale, zeroPoint, spec, maxCode);
  const codes = new Uint32Array(groups.length);
  for (let e = 0; e < codes.length; e++) codes[e] = nearestCode(w[e]!, scale[groups[e]!]!, zeroPoint[groups[e]!]!, maxCode);
  return { ok: true, codes, scale, zeroPoint, levels, deadColumns: 0 };
}
