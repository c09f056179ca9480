/**
 * Test support: a ModelProbe without tfjs — a linear softmax classifier `softmax(x·W + b)` over
 * `dense/kernel` [features, classes] and `dense/bias` [classes], computed in plain JS. It counts
 * its predict calls so caching can be tested.
 */
import type { Dataset, ModelProbe, WeightSet, WeightTensor } from "@quantforge/core";

export interface CountingProbe extends ModelProbe {
  calls: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function linearProbe(opts: { features?: number; classes?: number; samples?: number; seed?: number } = {}): CountingProbe {
  const F = opts.features ?? 12;
  const C = opts.classes ?? 4;
  const N = opts.samples ?? 200;
  const r = lcg(opts.seed ?? 1);
  const W = Float32Array.from({ length: F * C }, () => (r() - 0.5) * 2);
  const b = Float32Array.from({ length: C }, () => (r() - 0.5) * 0.2);
  const inputs = Float32Array.from({ length: N * F }, () => r());
  // Labels: the float model's own prediction for 85 % of samples, a shifted class otherwise,
  // so the float accuracy is well inside (0, 1).
  const weights: WeightTensor[] = [
    { name: "dense/kernel", shape: [F, C], data: W, role: "weight", layer: "dense", layerKind: "dense" },
    { name: "dense/bias", shape: [C], data: b, role: "bias", layer: "dense", layerKind: "dense" },
  ];
  const predict = (ws: WeightSet, x: Float32Array, count: number): Float32Array => {
    const k = ws.find((t) => t.name === "dense/kernel")!.data;
    const bb = ws.find((t) => t.name === "dense/bias")!.data;
    const out = new Float32Array(count * C);
    for (let n = 0; n < count; n++) {
      const z = new Float64Array(C);
      let m = -Infinity;
      for (let a = 0; a < C; a++) {
        let s = bb[a]!;
        for (let j = 0; j < F; j++) s += x[n * F + j]! * k[j * C + a]!;
        z[a] = s;
        m = Math.max(m, s);
      }
      let sum = 0;
      for (let a = 0; a < C; a++) sum += Math.exp(z[a]! - m);
      for (let a = 0; a < C; a++) out[n * C + a] = Math.exp(z[a]! - m) / sum;
    }
    return out;
  };
  const p0 = predict(weights, inputs, N);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let a = 1; a < C; a++) if (p0[n * C + a]! > p0[n * C + best]!) best = a;
    labels[n] = n % 7 === 3 ? (best + 1) % C : best;
  }
  const testSet: Dataset = { inputs, labels, count: N, sampleShape: [F], classes: C };
  const probe: CountingProbe = {
    id: "linear",
    weights,
    testSet,
    calls: 0,
    forward: {
      predict: async (ws, x, count) => {
        probe.calls++;
        return predict(ws, x, count);
      },
    },
  };
  return probe;
}
