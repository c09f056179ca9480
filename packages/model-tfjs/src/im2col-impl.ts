import { padBefore, windowOut } from "./net.js";

/** Geometry of a 2-D convolution over NHWC input. */
export interface ConvGeometry {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: "valid" | "same";
}

/** Output positions `[oh, ow]` of a convolution. */
export function convOutput(g: ConvGeometry): [number, number] {
  return [windowOut(g.height, g.kernelSize[0], g.strides[0], g.padding), windowOut(g.width, g.kernelSize[1], g.strides[1], g.padding)];
}

/**
 * im2col: the patch matrix of `n` NHWC samples, one row per (sample, output row, output column)
 * and one column per kernel tap in the kernel's own order `(kh, kw, cin)` — so row · kernel
 * reshaped to `[kh·kw·cin, cout]` is the convolution output (TensorFlow's `same` padding with
 * the extra pixel after; padded taps are 0). Writes into `out` when given (length
 * `n·oh·ow·kh·kw·cin`).
 */
export function im2col(x: Float32Array, n: number, g: ConvGeometry, out?: Float32Array): Float32Array {
  const { height: H, width: W, channels: C } = g;
  const [KH, KW] = g.kernelSize;
  const [SH, SW] = g.strides;
  const [OH, OW] = convOutput(g);
  const PT = padBefore(H, KH, SH, g.padding);
  const PL = padBefore(W, KW, SW, g.padding);
  const cols = KH * KW * C;
  const rows = n * OH * OW;
  const r = out ?? new Float32Array(rows * cols);
  if (r.length !== rows * cols) throw new RangeError(`im2col output needs ${rows * cols} values, got ${r.length}`);
  let o = 0;
  for (let s = 0; s < n; s++) {
    const xs = s * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let i = 0; i < KH; i++) {
          const ih = oh * SH + i - PT;
          for (let j = 0; j < KW; j++) {
            const iw = ow * SW + j - PL;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
              r.fill(0, o, o + C);
            } else {
              const src = xs + (ih * W + iw) * C;
              for (let c = 0; c < C; c++) r[o + c] = x[src + c]!;
            }
            o += C;
          }
        }
      }
    }
  }
  return r;
}
