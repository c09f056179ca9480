/**
 * Multiply-accumulates of a forward pass, counted from the kernels tfjs ran (pure): their names
 * and input/output shapes as `tf.profile` records them. Shapes only, never times, so the count is
 * the same on every machine and backend (core's `ForwardPass.macsPerSample`).
 */

import { shapeSize } from "@quantforge/core";

/** What {@link kernelMacs} reads of one profiled kernel (tfjs's `KernelInfo`). */
export interface KernelShapes {
  readonly name: string;
  readonly inputShapes: readonly (readonly number[] | undefined)[];
  readonly outputShapes: readonly (readonly number[] | undefined)[];
}

const size = (s: readonly number[] | undefined): number => (s ? shapeSize(s) : 0);

/** Convolutions whose filter is `[kh, kw, inC, outC]` (each output sums kh·kw·inC products). */
const CONV = new Set(["Conv2D", "FusedConv2D"]);
/** Depthwise convolutions, filter `[kh, kw, inC, multiplier]` (kh·kw products per output). */
const DEPTHWISE = new Set(["DepthwiseConv2dNative", "FusedDepthwiseConv2D"]);
/** Matrix products (`a`, `b` → `[…, M, N]`). */
const MATMUL = new Set(["BatchMatMul", "_FusedMatMul", "MatMul"]);

/**
 * MACs of the kernels: a convolution's output size × its filter's reduction (kh·kw·inC, kh·kw
 * for depthwise, kd·kh·kw·inC for 3-D), a transposed convolution's input gradient × kh·kw·inC, a
 * matrix product's output size × its inner dimension, and every other kernel one per output
 * element (element-wise, pooling, resizing: memory-bound, roughly a MAC each).
 */
export function kernelMacs(kernels: readonly KernelShapes[]): number {
  let macs = 0;
  for (const k of kernels) {
    const out = k.outputShapes[0],
      x = k.inputShapes[0],
      f = k.inputShapes[1];
    const n = size(out);
    if (CONV.has(k.name) && f && f.length === 4) macs += n * f[0]! * f[1]! * f[2]!;
    else if (DEPTHWISE.has(k.name) && f && f.length === 4) macs += n * f[0]! * f[1]!;
    else if (k.name === "Conv3D" && f && f.length === 5) macs += n * f[0]! * f[1]! * f[2]! * f[3]!;
    // Inputs {dy, filter}: every element of dy is spread over kh·kw·inC outputs.
    else if (k.name === "Conv2DBackpropInput" && f && f.length === 4) macs += size(x) * f[0]! * f[1]! * f[2]!;
    else if (MATMUL.has(k.name) && out && out.length >= 2 && x && f) {
      // The inner dimension K from either operand (one of them may be broadcast over the batch):
      // |a| = B·M·K and |b| = B·K·N whatever the transposes, and |out| = B·M·N.
      const M = out[out.length - 2]!,
        N = out[out.length - 1]!;
      const rows = M > 0 ? n / M : 0,
        cols = N > 0 ? n / N : 0;
      const K = Math.max(cols > 0 ? size(x) / cols : 0, rows > 0 ? size(f) / rows : 0);
      macs += n * K;
    } else macs += n;
  }
  return macs;
}
