import { Rng, type ModelProbe } from "@quantforge/core";
import { syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";

/** A seeded random ReLU MLP (He-scaled Gaussian weights) over non-negative inputs, for tests. */
export function randomMlp(sizes: readonly number[], count: number, seed = 1, opts: { bias?: boolean } = {}): ModelProbe {
  const rng = new Rng(seed);
  const layers = sizes.slice(1).map((fanOut, i) => {
    const fanIn = sizes[i]!;
    const kernel = new Float32Array(fanIn * fanOut);
    for (let k = 0; k < kernel.length; k++) kernel[k] = rng.normal() * Math.sqrt(2 / fanIn);
    const bias = opts.bias ? Float32Array.from({ length: fanOut }, () => 0.1 * rng.normal()) : undefined;
    return { name: `dense${i + 1}`, fanIn, fanOut, kernel, bias };
  });
  const inputs = new Float32Array(count * sizes[0]!);
  for (let k = 0; k < inputs.length; k++) inputs[k] = Math.max(0, rng.normal());
  const labels = Int32Array.from({ length: count }, () => rng.int(0, sizes[sizes.length - 1]! - 1));
  return syntheticDenseProbe({ id: "mlp", layers, inputs, count, labels, test: { inputs, labels, count } });
}

/** Mean over neurons of ‖X(w − q)‖/‖Xw‖ for a row-major X `[rows, fanIn]` and kernels `[fanIn, fanOut]`. */
export function meanRelError(x: Float32Array, rows: number, fanIn: number, w: Float32Array, q: Float32Array, fanOut: number): number {
  let sum = 0, count = 0;
  for (let o = 0; o < fanOut; o++) {
    let e = 0, r = 0;
    for (let s = 0; s < rows; s++) {
      let a = 0, b = 0;
      for (let i = 0; i < fanIn; i++) {
        const v = x[s * fanIn + i]!;
        a += v * w[i * fanOut + o]!;
        b += v * (w[i * fanOut + o]! - q[i * fanOut + o]!);
      }
      r += a * a;
      e += b * b;
    }
    if (r > 0) { sum += Math.sqrt(e / r); count++; }
  }
  return sum / count;
}
