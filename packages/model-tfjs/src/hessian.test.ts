import type { LayersModel } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { WeightSet } from "@quantforge/core";
import { netSpecFromLayersModel } from "./from-layers.js";
import { backwardDeviations, exactHessianDiagonal, recordForward } from "./hessian.js";
import { forwardLogits, paramTensors } from "./forward.js";
import { paramOps } from "./net.js";
import type { Tensor } from "@tensorflow/tfjs";
import { createProbe } from "./probe.js";
import { params64, ref64Forward } from "./ref64.test-support.js";
import { getTf, type Tf } from "./tf.js";
import { randomDataset, tinyConv, tinyDense, tinyStrided } from "./tiny.test-support.js";

/**
 * Central finite differences of the float64 reference loss, per parameter:
 * h ≈ (L(w+ε) − 2L(w) + L(w−ε)) / ε². Parameters whose ±ε step crosses a ReLU/max-pool kink
 * (activation pattern changes) have no classical second derivative there and are reported
 * separately instead of compared.
 */
function finiteDifferenceDiagonal(model: LayersModel, x: Float32Array, labels: Int32Array, count: number, eps: number) {
  const spec = netSpecFromLayersModel(model);
  const p = params64(model);
  const base = ref64Forward(spec, p, x, labels, count);
  const fd = new Map<string, Float64Array>();
  let kinks = 0;
  let total = 0;
  for (const [name, w] of p) {
    const h = new Float64Array(w.length).fill(NaN);
    for (let i = 0; i < w.length; i++) {
      const w0 = w[i]!;
      w[i] = w0 + eps;
      const up = ref64Forward(spec, p, x, labels, count);
      w[i] = w0 - eps;
      const down = ref64Forward(spec, p, x, labels, count);
      w[i] = w0;
      total++;
      if (up.pattern !== base.pattern || down.pattern !== base.pattern) {
        kinks++;
        continue;
      }
      h[i] = (up.loss - 2 * base.loss + down.loss) / (eps * eps);
    }
    fd.set(name, h);
  }
  return { fd, kinks, total };
}

function compare(h: WeightSet, fd: Map<string, Float64Array>, relTol: number) {
  let compared = 0;
  let worst = 0;
  for (const t of h) {
    const ref = fd.get(t.name)!;
    expect(ref, t.name).toBeDefined();
    expect(t.data.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) {
      expect(t.data[i]!).toBeGreaterThanOrEqual(0);
      if (Number.isNaN(ref[i]!)) continue;
      const err = Math.abs(t.data[i]! - ref[i]!);
      // Dead units give exactly 0 both ways; 1e-9 absorbs the FD rounding noise (4·2⁻⁵³·L/ε² ≈ 5e-10 at ε = 1e-3).
      const ok = err <= relTol * Math.abs(ref[i]!) + 1e-9;
      if (!ok) expect.fail(`${t.name}[${i}]: exact ${t.data[i]} vs finite differences ${ref[i]} (rel err ${(err / Math.abs(ref[i]!)).toExponential(2)})`);
      worst = Math.max(worst, err / Math.max(Math.abs(ref[i]!), 1e-12));
      compared++;
    }
  }
  return { compared, worst };
}

describe("exact Hessian diagonal", () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await getTf();
  });

  it("matches central finite differences on a tiny dense ReLU network (every weight and bias)", async () => {
    const model = tinyDense(tf);
    const spec = netSpecFromLayersModel(model);
    const ds = randomDataset(60, [6], 3, 5);
    const probe = await createProbe(model, { id: "tiny-dense", data: { train: ds, test: ds } });
    const h = await exactHessianDiagonal(tf, spec, probe.weights, ds.inputs, ds.count);
    const { fd, kinks, total } = finiteDifferenceDiagonal(model, ds.inputs, ds.labels, ds.count, 1e-3);
    expect(kinks / total).toBeLessThan(0.05);
    const { compared } = compare(h, fd, 1e-4);
    expect(compared).toBeGreaterThan(0.95 * total);
    // Not trivially zero: the last layer's diagonal is strictly positive.
    expect(Math.min(...h.find((t) => t.name === "dense_3/bias")!.data)).toBeGreaterThan(0);
  });

  it("matches central finite differences on a tiny conv/max-pool network (exact, no estimator)", async () => {
    const model = tinyConv(tf);
    const spec = netSpecFromLayersModel(model);
    const ds = randomDataset(8, [6, 6, 1], 3, 9);
    const probe = await createProbe(model, { id: "tiny-conv", data: { train: ds, test: ds } });
    const h = await exactHessianDiagonal(tf, spec, probe.weights, ds.inputs, ds.count);
    expect(h.map((t) => t.name)).toEqual(["conv2d_1/kernel", "conv2d_1/bias", "conv2d_2/kernel", "conv2d_2/bias", "dense_1/kernel", "dense_1/bias"]);
    const { fd, kinks, total } = finiteDifferenceDiagonal(model, ds.inputs, ds.labels, ds.count, 1e-3);
    expect(kinks / total).toBeLessThan(0.05);
    const { compared } = compare(h, fd, 1e-4);
    expect(compared).toBeGreaterThan(0.95 * total);
    const conv1 = h[0]!.data;
    expect(conv1.some((v) => v > 0)).toBe(true);
  });

  it("matches central finite differences with strided convolutions and an overlapping max-pool", async () => {
    const model = tinyStrided(tf);
    const spec = netSpecFromLayersModel(model);
    const ds = randomDataset(6, [7, 7, 1], 3, 7);
    const probe = await createProbe(model, { id: "tiny-strided", data: { train: ds, test: ds } });
    const h = await exactHessianDiagonal(tf, spec, probe.weights, ds.inputs, ds.count);
    const { fd, kinks, total } = finiteDifferenceDiagonal(model, ds.inputs, ds.labels, ds.count, 1e-3);
    expect(kinks / total).toBeLessThan(0.05);
    const { compared } = compare(h, fd, 1e-4);
    expect(compared).toBeGreaterThan(0.95 * total);
  });

  for (const [label, build, shape] of [
    ["conv", tinyConv, [6, 6, 1]],
    ["strided", tinyStrided, [7, 7, 1]],
    ["dense", tinyDense, [6]],
  ] as const) {
    it(`the explicit backward pass equals tfjs autodiff through the replicated network (${label})`, async () => {
      const model = build(tf);
      const spec = netSpecFromLayersModel(model);
      const probe = await createProbe(model, { id: label, data: { train: randomDataset(2, [...shape], 3, 1), test: randomDataset(2, [...shape], 3, 1) } });
      const B = 7;
      const C = spec.classes;
      const ds = randomDataset(B, [...shape], 3, 11);
      const params = paramTensors(tf, spec, probe.weights);
      const x = tf.tensor(ds.inputs, [B, ...shape]);
      const w = Float32Array.from({ length: C * B * C }, (_, i) => Math.sin(i * 1.7));
      const layers = paramOps(spec);
      // Autodiff: zero probes added to every pre-activation of the network replicated C times.
      const probes = layers.map(({ index }) => tf.zeros([C * B, ...spec.shapes[index + 1]!]));
      const auto = tf.tidy(() => {
        const xt = tf.tile(x, [C, ...shape.map(() => 1)]);
        const wt = tf.tensor2d(w, [C * B, C]);
        return tf.grads((...es: Tensor[]) => {
          const m = new Map(layers.map(({ index }, k) => [index, es[k]!]));
          return tf.sum(tf.mul(forwardLogits(tf, spec, params, xt, { perturb: (i) => m.get(i) }), wt));
        })(probes);
      });
      const rec = recordForward(tf, spec, params, x);
      const D = backwardDeviations(tf, spec, params, rec.inputs, w, B);
      layers.forEach(({ index }, k) => {
        const a = auto[k]!.dataSync();
        const b = D.get(index)!.dataSync();
        expect(b.length).toBe(a.length);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(a[i]!)));
      });
      tf.dispose([...auto, ...probes, ...D.values(), ...rec.inputs.values(), rec.logits, x, ...params.values()]);
    });
  }

  it("is label-free, seeded, cached and validates the sample count", async () => {
    const model = tinyDense(tf);
    const ds = randomDataset(80, [6], 3, 2);
    const probe = await createProbe(model, { id: "tiny-dense", data: { train: ds, test: ds } });
    const a = await probe.hessian.hessianDiagonal({ samples: 30, seed: 4 });
    const b = await probe.hessian.hessianDiagonal({ samples: 30, seed: 4 });
    expect(b).toBe(a);
    const c = await probe.hessian.hessianDiagonal({ samples: 30, seed: 5 });
    expect(Buffer.from(c[0]!.data.buffer).equals(Buffer.from(a[0]!.data.buffer))).toBe(false);
    // Relabelled data: identical diagonal (∇²_z CE = diag p − p pᵀ does not involve the label).
    const relabelled = { ...ds, labels: ds.labels.map((l) => (l + 1) % 3) };
    const probe2 = await createProbe(model, { id: "tiny-dense", data: { train: relabelled, test: relabelled } });
    const d = await probe2.hessian.hessianDiagonal({ samples: 30, seed: 4 });
    for (let k = 0; k < a.length; k++) expect(Buffer.from(d[k]!.data.buffer).equals(Buffer.from(a[k]!.data.buffer))).toBe(true);
    expect(a.map((t) => [t.role, t.layer, t.layerKind])).toEqual(probe.weights.map((t) => [t.role, t.layer, t.layerKind]));
    await expect(probe.hessian.hessianDiagonal({ samples: 81 })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
    await expect(probe.hessian.hessianDiagonal({ samples: 0 })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
  });
});
