import { describe, expect, it } from "vitest";
import { Rng } from "@quantforge/core";
import { selectSamples } from "@quantforge/datasets";
import { exactHessianDiagonal } from "./hessian.js";
import { maskedFineTune, probeWithWeights } from "./masked-finetune.js";
import { createProbe } from "./probe.js";
import { getTf } from "./tf.js";
import { randomDataset, tinyConvValid, tinyDense } from "./tiny.test-support.js";

describe("maskedFineTune", () => {
  for (const [label, build, shape] of [
    ["dense", tinyDense, [6]],
    ["conv", tinyConvValid, [6, 6, 1]],
  ] as const) {
    it(`keeps pruned ${label} weights at exactly zero while the loss falls and survivors move`, async () => {
      const tf = await getTf();
      const ds = randomDataset(120, [...shape], 3, 5);
      const p = await createProbe(build(tf), { id: label, data: { train: ds, test: ds } });
      const kernel = p.weights.find((t) => t.role === "weight")!;
      const keep = new Uint32Array([...Array(kernel.data.length).keys()].filter((i) => i % 3 === 0));
      const survivors = new Map([[kernel.name, keep]]);
      const losses: number[] = [];
      const out = await maskedFineTune(p, p.weights, survivors, { epochs: 4, learningRate: 0.01, batchSize: 16, onEpoch: (_e, l) => losses.push(l) });
      const tuned = out.find((t) => t.name === kernel.name)!;
      const kept = new Set(keep);
      let moved = 0;
      for (let i = 0; i < tuned.data.length; i++) {
        if (!kept.has(i)) expect(tuned.data[i]).toBe(0);
        else if (tuned.data[i] !== kernel.data[i]) moved++;
      }
      expect(moved).toBeGreaterThan(0);
      expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
      expect(out.map((t) => t.name)).toEqual(p.weights.map((t) => t.name));
      // Deterministic for a seed.
      const again = await maskedFineTune(p, p.weights, survivors, { epochs: 4, learningRate: 0.01, batchSize: 16 });
      expect(again.find((t) => t.name === kernel.name)!.data).toEqual(tuned.data);
      p.model.dispose();
    });
  }
});

describe("probeWithWeights", () => {
  it("computes the Hessian at the new weights and keeps the rest", async () => {
    const tf = await getTf();
    const ds = randomDataset(40, [6], 3, 2);
    const p = await createProbe(tinyDense(tf), { id: "d", data: { train: ds, test: ds } });
    const scaled = p.weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => 2 * x) }));
    const q = probeWithWeights(p, scaled);
    expect(q.weights).toBe(scaled);
    expect(q.testSet).toBe(p.testSet);
    const h0 = await p.hessian.hessianDiagonal({ samples: 20, seed: 1 });
    const h1 = await q.hessian.hessianDiagonal({ samples: 20, seed: 1 });
    const direct = await exactHessianDiagonal(tf, p.spec, scaled, ...subset(ds, 20, 1));
    expect(h1.map((t) => [...t.data])).toEqual(direct.map((t) => [...t.data]));
    expect(h1.map((t) => [...t.data])).not.toEqual(h0.map((t) => [...t.data]));
    p.model.dispose();
  });
});

function subset(ds: ReturnType<typeof randomDataset>, n: number, seed: number): [Float32Array, number] {
  const idx = new Int32Array(ds.count);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  new Rng(seed).fork("hessian-samples").shuffle(idx);
  const s = selectSamples(ds, idx.subarray(0, n));
  return [s.inputs, s.count];
}
