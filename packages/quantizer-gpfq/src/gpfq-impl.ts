import { nearestCode, type Alphabet } from "@quantforge/core";

/**
 * Below this column norm an input is treated as always zero (MNIST's blank border pixels, dead
 * ReLUs): the GPFQ ratio is undefined there, so q_t = Q_A(w_t) (spec §4).
 */
export const ZERO_COLUMN_NORM = 1e-12;

/** One layer's calibration data in the layout the GPFQ recursion reads (shared by all neurons). */
export interface GpfqLayer {
  readonly rows: number;
  readonly cols: number;
  /** Float-network input X, column-major (column t = X_t contiguous). */
  readonly xf: Float64Array;
  /** Quantized-network input X̃, column-major (the same array as `xf` when they coincide). */
  readonly xq: Float64Array;
  /** ‖X̃_t‖² per column. */
  readonly normsQ: Float64Array;
  /** ⟨X̃_t, X_t⟩ per column (so each step needs one dot product with u, not two). */
  readonly cross: Float64Array;
}

function toColumnMajor(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/**
 * Prepares a layer from row-major `[rows, cols]` inputs: `xf` from the float network and `xq`
 * from the network whose earlier layers are already quantized (`null` = the same, which is the
 * case for the first layer and for `target: float`).
 */
export function prepareGpfqLayer(xf: ArrayLike<number>, xq: ArrayLike<number> | null, rows: number, cols: number): GpfqLayer {
  const f = toColumnMajor(xf, rows, cols);
  const q = xq === null ? f : toColumnMajor(xq, rows, cols);
  const normsQ = new Float64Array(cols),
    cross = new Float64Array(cols);
  for (let t = 0; t < cols; t++) {
    const off = t * rows;
    let nq = 0,
      c = 0;
    for (let i = 0; i < rows; i++) {
      const a = q[off + i]!;
      nq += a * a;
      c += a * f[off + i]!;
    }
    normsQ[t] = nq;
    cross[t] = c;
  }
  return { rows, cols, xf: f, xq: q, normsQ, cross };
}

/**
 * Quantizes one neuron with GPFQ (Lybrand & Saab 2021; Zhang, Zhou & Saab 2022; the recursion of
 * `methods/preprocessed-msq.md` §4):
 *
 *   u₀ = 0;  for t = 1 … N0:
 *     q_t = Q_A(⟨X̃_t, u_{t−1} + w_t X_t⟩ / ‖X̃_t‖²),
 *     u_t = u_{t−1} + w_t X_t − q_t X̃_t,
 *
 * i.e. each weight is chosen greedily to cancel the accumulated output error u = Σ (w_s X_s −
 * q_s X̃_s) as well as the alphabet allows. O(N0·m) per neuron.
 *
 * @param w - the neuron's N0 weights
 * @param u - scratch of length `rows` (overwritten; ends as the final error X·w − X̃·q)
 * @param codes - out: N0 codes of `alphabet`
 */
export function gpfqNeuron(layer: GpfqLayer, w: ArrayLike<number>, alphabet: Alphabet, u: Float64Array, codes: Uint32Array): void {
  const { rows, cols, xf, xq, normsQ, cross } = layer;
  const lv = alphabet.levels;
  const zero2 = ZERO_COLUMN_NORM * ZERO_COLUMN_NORM;
  u.fill(0, 0, rows);
  for (let t = 0; t < cols; t++) {
    const wt = w[t]!;
    const off = t * rows;
    const nq = normsQ[t]!;
    let q: number;
    if (nq < zero2) {
      q = nearestCode(alphabet, wt);
    } else {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += xq[off + i]! * u[i]!;
      q = nearestCode(alphabet, (dot + wt * cross[t]!) / nq);
    }
    codes[t] = q;
    const qv = lv[q]!;
    if (wt === 0 && qv === 0) continue;
    for (let i = 0; i < rows; i++) u[i] = u[i]! + wt * xf[off + i]! - qv * xq[off + i]!;
  }
}
