/**
 * Test support: a two-layer ReLU MLP probe in plain JS (no tfjs) with Laplacian kernels of
 * different scales, float32 biases and a labelled test set on which the float network is right
 * most of the time.
 */
import { Rng, type Dataset, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";

export function mlpProbe(opts: { features?: number; hidden?: number; classes?: number; samples?: number; seed?: number } = {}): ModelProbe {
  const F = opts.features ?? 64,
    H = opts.hidden ?? 64,
    C = opts.classes ?? 4,
    N = opts.samples ?? 300;
  const rng = new Rng(opts.seed ?? 5);
  const lap = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.laplace(s));
  const weights: WeightTensor[] = [
    { name: "dense_1/kernel", shape: [F, H], data: lap(F * H, 0.25), role: "weight", layer: "dense_1", layerKind: "dense" },
    { name: "dense_1/bias", shape: [H], data: lap(H, 0.05), role: "bias", layer: "dense_1", layerKind: "dense" },
    { name: "dense_2/kernel", shape: [H, C], data: lap(H * C, 0.6), role: "weight", layer: "dense_2", layerKind: "dense" },
    { name: "dense_2/bias", shape: [C], data: lap(C, 0.05), role: "bias", layer: "dense_2", layerKind: "dense" },
  ];
  const predict = (ws: WeightSet, x: Float32Array, count: number): Float32Array => {
    const get = (n: string) => ws.find((t) => t.name === n)!.data;
    const w1 = get("dense_1/kernel"),
      b1 = get("dense_1/bias"),
      w2 = get("dense_2/kernel"),
      b2 = get("dense_2/bias");
    const out = new Float32Array(count * C);
    const h = new Float64Array(H),
      z = new Float64Array(C);
    for (let n = 0; n < count; n++) {
      for (let j = 0; j < H; j++) {
        let s = b1[j]!;
        for (let i = 0; i < F; i++) s += x[n * F + i]! * w1[i * H + j]!;
        h[j] = s > 0 ? s : 0;
      }
      let m = -Infinity;
      for (let a = 0; a < C; a++) {
        let s = b2[a]!;
        for (let j = 0; j < H; j++) s += h[j]! * w2[j * C + a]!;
        z[a] = s;
        if (s > m) m = s;
      }
      let sum = 0;
      for (let a = 0; a < C; a++) sum += Math.exp(z[a]! - m);
      for (let a = 0; a < C; a++) out[n * C + a] = Math.exp(z[a]! - m) / sum;
    }
    return out;
  };
  const inputs = Float32Array.from({ length: N * F }, () => rng.normal());
  const p = predict(weights, inputs, N);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let b = 0;
    for (let a = 1; a < C; a++) if (p[n * C + a]! > p[n * C + b]!) b = a;
    labels[n] = n % 9 === 4 ? (b + 1) % C : b;
  }
  const testSet: Dataset = { inputs, labels, count: N, sampleShape: [F], classes: C };
  return { id: "fake-mlp", weights, testSet, forward: { predict: async (ws, x, count) => predict(ws, x, count) } };
}
