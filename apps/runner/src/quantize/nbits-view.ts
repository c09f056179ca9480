import type { WeightTensor } from "@quantforge/core";

/**
 * `onnx-nbits` quantizes a MatMul weight B `[K, N]` as its transposed view `[N, K]`: core's
 * per-group grids are runs of consecutive row-major elements, and in the view those runs go
 * along K within one output column — exactly MatMulNBits' blocks. The view keeps the tensor's
 * name and tags, with the channel axes moved (outputs first).
 */
export function transposedView(t: WeightTensor): WeightTensor {
  const [k, n] = t.shape as [number, number];
  return { ...t, shape: [n, k], data: transpose(t.data, k, n), outputAxis: 0, inputAxis: 1 };
}

/** Row-major `[rows, cols]` → `[cols, rows]`. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
