/**
 * Test support: a plain-JS two-layer network with no tfjs. x [F] → h = relu(x·W1) [H] →
 * y = h·W2 [C] (raw outputs) and, as a second output, z = x·S [2] where S is a sparse,
 * outlier-heavy kernel (most weights ≈ 1e-4, a few near 0.5) whose tiny weights carry z.
 * `gain` amplifies W2's deviations from its float value (W2's error) in y.
 */
import type { ForwardOutput, ModelProbe, WeightSet, WeightTensor } from "@quantforge/core";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function mlpProbe(o: { gain?: number; seed?: number } = {}): ModelProbe {
  const F = 24,
    H = 16,
    C = 6,
    gain = o.gain ?? 0;
  const r = lcg(o.seed ?? 3);
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * s);
  const S = new Float32Array(F * 2);
  for (let i = 0; i < S.length; i++) S[i] = (r() < 0.5 ? -1 : 1) * 1e-4 * (1 + r());
  S[5] = 0.5;
  S[30] = -0.45;
  const w = (name: string, shape: number[], data: Float32Array): WeightTensor => ({ name, shape, data, role: "weight", layer: name.split("/")[0]!, layerKind: "dense" });
  const weights: WeightTensor[] = [w("d1/kernel", [F, H], rnd(F * H, 0.4)), w("d2/kernel", [H, C], rnd(H * C, 0.4)), w("s/kernel", [F, 2], S)];
  const W20 = Float32Array.from(weights[1]!.data);
  const get = (ws: WeightSet, n: string) => ws.find((t) => t.name === n)!.data;
  const outputs = (ws: WeightSet, x: Float32Array, count: number): ForwardOutput[] => {
    const W1 = get(ws, "d1/kernel"),
      W2 = get(ws, "d2/kernel"),
      Sk = get(ws, "s/kernel");
    const y = new Float32Array(count * C),
      z = new Float32Array(count * 2);
    const h = new Float64Array(H);
    for (let n = 0; n < count; n++) {
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let j = 0; j < F; j++) s += x[n * F + j]! * W1[j * H + k]!;
        h[k] = Math.max(0, s);
      }
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < H; k++) s += h[k]! * (W2[k * C + c]! + gain * (W2[k * C + c]! - W20[k * C + c]!));
        y[n * C + c] = s;
      }
      // Inputs centred on 0 except the outlier rows, so z is carried mostly by the tiny weights.
      for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let j = 0; j < F; j++) s += (j === 5 >> 1 || j === 15 ? 0.01 : 1) * x[n * F + j]! * Sk[j * 2 + c]!;
        z[n * 2 + c] = s;
      }
    }
    return [
      { name: "y", shape: [C], data: y },
      { name: "z", shape: [2], data: z },
    ];
  };
  return {
    id: "mlp-js",
    weights,
    inputShape: [F],
    forward: {
      predict: async (ws, x, count) => outputs(ws, x, count)[0]!.data,
      predictOutputs: async (ws, x, count) => outputs(ws, x, count),
    },
  };
}
