import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { ErrorCodes, QuantforgeError } from "@quantforge/core";

type TfCore = Pick<typeof import("@tensorflow/tfjs"), "getKernel">;

/** Normalises a tfjs stride attribute to a pair. */
function pair(v: number | readonly number[]): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0]!, v[1] ?? v[0]!];
}

/**
 * The WASM backend of tfjs 4.22 has no `Conv2DBackpropFilter` kernel, so convolutions cannot be
 * trained on it (and the CPU backend's kernel is far too slow). For stride 1 and `valid` padding
 * the filter gradient is
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh + kh, ow + kw, ci] · dy[n, oh, ow, co],
 *
 * which is a forward convolution of the input transposed to `[ci, H, W, n]` (channels become the
 * batch, the batch becomes the channels) with `dy` transposed to a `[oh, ow, n, co]` filter: the
 * result `[ci, kh, kw, co]` transposed back is `[kh, kw, ci, co]`. It is built from the WASM
 * backend's own `Transpose` and `Conv2D` kernels; other strides/paddings are rejected.
 */
export function conv2dBackpropFilterWasmConfig(tf: TfCore): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as { strides: number | number[]; pad: unknown; dataFormat: string; filterShape: number[] };
    const [sh, sw] = pair(a.strides);
    if (sh !== 1 || sw !== 1 || a.pad !== "valid" || (a.dataFormat !== undefined && a.dataFormat !== "NHWC")) {
      throw new QuantforgeError(
        ErrorCodes.USAGE,
        `the WASM Conv2DBackpropFilter kernel supports stride 1, 'valid' padding and NHWC only (got strides [${sh}, ${sw}], pad ${JSON.stringify(a.pad)}, ${a.dataFormat}). Train this model on the cpu backend (QUANTFORGE_TFJS_BACKEND=cpu).`,
      );
    }
    const transpose = tf.getKernel("Transpose", "wasm").kernelFunc;
    const conv2d = tf.getKernel("Conv2D", "wasm").kernelFunc;
    const be = backend as { disposeData(id: object): boolean };
    const run = (f: KernelFunc, ins: Record<string, TensorInfo>, at: Record<string, unknown>) => f({ inputs: ins, backend, attrs: at as never }) as TensorInfo;
    const xT = run(transpose, { x }, { perm: [3, 1, 2, 0] });
    const dyT = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
    const r = run(conv2d, { x: xT, filter: dyT }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] });
    const out = run(transpose, { x: r }, { perm: [1, 2, 0, 3] });
    be.disposeData(xT.dataId);
    be.disposeData(dyT.dataId);
    be.disposeData(r.dataId);
    const fs = a.filterShape;
    if (fs && out.shape.join() !== fs.join()) {
      be.disposeData(out.dataId);
      throw new QuantforgeError(ErrorCodes.INTERNAL, `Conv2DBackpropFilter produced shape [${out.shape.join(", ")}] for filter [${fs.join(", ")}]. This is a bug in quantforge.`, { exitCode: 1 });
    }
    return out;
  };
  return { kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc };
}
