/**
 * Test support: a ModelProbe without tfjs. Two heads on an input x of F features:
 *   probs = softmax(x·(A + B) + gain·x·(B − B₀))   [C]   (a classifier)
 *   reg   = x·R                                    [3]   (a regression head)
 * with B₀ the float B: the float model does not depend on `gain`, but the forward pass amplifies
 * any deviation of B (its quantization error) by `gain`, so B is the fragile tensor.
 */
import type { Dataset, ForwardOutput, ModelProbe, WeightSet, WeightTensor } from "@quantforge/core";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface FakeProbeOptions {
  readonly features?: number;
  readonly classes?: number;
  readonly gain?: number;
  readonly seed?: number;
  /** Give the probe a calibration set of this many rows (default none: random inputs). */
  readonly calibration?: number;
  /** Set ModelProbe.inputShape (default true). */
  readonly inputShape?: boolean;
}

export interface CountingProbe extends ModelProbe {
  calls: number;
}

export function twoHeadProbe(o: FakeProbeOptions = {}): CountingProbe {
  const F = o.features ?? 16,
    C = o.classes ?? 5,
    gain = o.gain ?? 1;
  const r = lcg(o.seed ?? 7);
  const mk = (name: string, shape: number[], scale: number): WeightTensor => ({
    name,
    shape,
    role: "weight",
    layer: name.split("/")[0]!,
    layerKind: "dense",
    data: Float32Array.from({ length: shape[0]! * shape[1]! }, () => (r() - 0.5) * 2 * scale),
  });
  const weights: WeightTensor[] = [mk("a/kernel", [F, C], 1), mk("b/kernel", [F, C], 0.05), mk("r/kernel", [F, 3], 1)];
  const get = (ws: WeightSet, n: string) => ws.find((t) => t.name === n)!.data;
  const B0 = Float32Array.from(weights[1]!.data);
  const outputs = (ws: WeightSet, x: Float32Array, count: number): ForwardOutput[] => {
    const A = get(ws, "a/kernel"),
      B = get(ws, "b/kernel"),
      R = get(ws, "r/kernel");
    const probs = new Float32Array(count * C),
      reg = new Float32Array(count * 3);
    for (let n = 0; n < count; n++) {
      const z = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let j = 0; j < F; j++) s += x[n * F + j]! * (A[j * C + c]! + B[j * C + c]! + gain * (B[j * C + c]! - B0[j * C + c]!));
        z[c] = s;
      }
      const m = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c]! - m);
      for (let c = 0; c < C; c++) probs[n * C + c] = Math.exp(z[c]! - m) / sum;
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let j = 0; j < F; j++) s += x[n * F + j]! * R[j * 3 + k]!;
        reg[n * 3 + k] = s;
      }
    }
    return [
      { name: "probs", shape: [C], data: probs },
      { name: "reg", shape: [3], data: reg },
    ];
  };
  let calibrationSet: Dataset | undefined;
  if (o.calibration) {
    const inputs = Float32Array.from({ length: o.calibration * F }, () => r() * 2 - 1);
    calibrationSet = { inputs, labels: new Int32Array(o.calibration), count: o.calibration, sampleShape: [F], classes: C };
  }
  const probe: CountingProbe = {
    id: "two-head",
    weights,
    calls: 0,
    ...(o.inputShape === false ? {} : { inputShape: [F] }),
    ...(calibrationSet ? { calibrationSet } : {}),
    forward: {
      predict: async (ws, x, count) => outputs(ws, x, count)[0]!.data,
      predictOutputs: async (ws, x, count) => {
        probe.calls++;
        return outputs(ws, x, count);
      },
    },
  };
  return probe;
}
