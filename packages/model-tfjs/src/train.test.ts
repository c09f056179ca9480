import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tensor } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { forwardLogits } from "./forward.js";
import { netSpecFromLayersModel } from "./from-layers.js";
import { loadReferenceModel } from "./probe.js";
import { buildReferenceModel, REFERENCE_MODEL_IDS } from "./reference.js";
import { getTf, type Tf } from "./tf.js";
import { randomDataset, tinyConvValid, tinyDense } from "./tiny.test-support.js";
import { modelVariables, saveTrainedModel, shiftImage, trainLayersModel } from "./train.js";
import { layerInfos } from "./net.js";

describe("reference models", () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await getTf();
  });
  it("mnist-lenet5 is the Caffe LeNet-5 with exactly 431,080 parameters", () => {
    const m = buildReferenceModel(tf, "mnist-lenet5", 1);
    expect(m.countParams()).toBe(431_080);
    expect(layerInfos(netSpecFromLayersModel(m)).map((l) => [l.name, l.kind, l.fanIn, l.fanOut])).toEqual([
      ["conv2d_1", "conv2d", 25, 20],
      ["conv2d_2", "conv2d", 500, 50],
      ["dense_1", "dense", 800, 500],
      ["dense_2", "dense", 500, 10],
    ]);
  });
  it("mnist-mlp is LeNet-300-100 (266,610 parameters)", () => {
    const m = buildReferenceModel(tf, "mnist-mlp", 1);
    expect(m.countParams()).toBe(266_610);
    expect(layerInfos(netSpecFromLayersModel(m)).map((l) => [l.fanIn, l.fanOut])).toEqual([
      [784, 300],
      [300, 100],
      [100, 10],
    ]);
  });
  it("initialisation is seeded", async () => {
    const a = await buildReferenceModel(tf, "mnist-mlp", 3).getWeights()[0]!.data();
    const b = await buildReferenceModel(tf, "mnist-mlp", 3).getWeights()[0]!.data();
    const c = await buildReferenceModel(tf, "mnist-mlp", 4).getWeights()[0]!.data();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    expect(() => buildReferenceModel(tf, "resnet", 1)).toThrow(expect.objectContaining({ code: "QF_UNKNOWN_PLUGIN" }));
  });

  for (const id of REFERENCE_MODEL_IDS) {
    it(`${id}: the committed weights load and reproduce the recorded float test accuracy`, async () => {
      const p = await loadReferenceModel(id);
      expect(p.training?.id).toBe(id);
      const probs = await p.forward.predict(p.weights, p.testSet.inputs, p.testSet.count);
      let correct = 0;
      for (let i = 0; i < p.testSet.count; i++) {
        let best = 0;
        for (let a = 1; a < 10; a++) if (probs[i * 10 + a]! > probs[i * 10 + best]!) best = a;
        if (best === p.testSet.labels[i]) correct++;
      }
      expect(correct / p.testSet.count).toBeCloseTo(p.training!.finalTestAccuracy, 3);
      const v = await p.optimizer!.secondMoments();
      expect(v.map((t) => t.name)).toEqual(p.weights.map((t) => t.name));
      expect(v.every((t) => t.data.every((x) => x >= 0))).toBe(true);
      expect(p.calibrationSet.count).toBe(8000);
    });
  }
});

describe("training", () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await getTf();
  });

  it("after one Adam step v̂ equals the squared gradient (bias correction), and files round-trip", async () => {
    const model = tinyDense(tf);
    const spec = netSpecFromLayersModel(model);
    const ds = randomDataset(16, [6], 3, 3);
    const vars = modelVariables(model, spec);
    // Gradient of the mean cross-entropy at the initial weights, before the step.
    const names = [...vars.keys()];
    const g = tf.tidy(() => {
      const x = tf.tensor(ds.inputs, [16, 6]);
      const y = tf.oneHot(tf.tensor1d(ds.labels, "int32"), 3);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forwardLogits(tf, spec, vars, x)) as never, [...vars.values()]);
      return names.map((n) => tf.keep(grads[vars.get(n)!.name]!));
    });
    const g2 = await Promise.all(g.map(async (t: Tensor) => Float32Array.from((await t.data()) as Float32Array, (v) => v * v)));
    tf.dispose(g);
    const t = await trainLayersModel(tf, "tiny", model, { train: ds, test: ds }, { epochs: 1, seed: 1, batchSize: 16, learningRate: 1e-3, source: "custom" });
    expect(t.record.optimizer.iterations).toBe(1);
    expect(t.moments.map((m) => m.name)).toEqual(names);
    t.moments.forEach((m, k) => {
      for (let i = 0; i < m.data.length; i++) expect(m.data[i]!).toBeCloseTo(g2[k]![i]!, 6 - Math.max(0, Math.ceil(Math.log10(g2[k]![i]! + 1e-30))));
    });
    const dir = mkdtempSync(join(tmpdir(), "qf-train-"));
    await saveTrainedModel(t, dir);
    const rec = JSON.parse(readFileSync(join(dir, "training.json"), "utf8"));
    expect(rec.curve).toHaveLength(1);
    expect(rec.curve[0]).toMatchObject({ epoch: 1 });
  });

  it("is deterministic for a seed (conv net on WASM, with the registered filter-gradient kernel)", async () => {
    const ds = randomDataset(40, [6, 6, 1], 3, 6);
    const run = async (seed: number) => {
      const m = tinyConvValid(tf);
      const t = await trainLayersModel(tf, "tiny", m, { train: ds, test: ds }, { epochs: 2, seed, batchSize: 8, learningRate: 1e-2, shift: 1, source: "custom" });
      return { w: Float32Array.from(m.getWeights()[0]!.dataSync()), loss: t.record.curve.map((e) => e.loss) };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(tf.getBackend()).toBe("wasm");
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(b.w.buffer))).toBe(true);
    expect(a.loss).toEqual(b.loss);
    expect(Buffer.from(a.w.buffer).equals(Buffer.from(c.w.buffer))).toBe(false);
    // Training lowers the loss.
    expect(a.loss[1]!).toBeLessThan(a.loss[0]!);
  });

  it("shiftImage translates with zero fill", () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = new Float32Array(9);
    shiftImage(src, out, [3, 3, 1], 1, -1);
    expect([...out]).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0]);
    shiftImage(src, out, [3, 3, 1], 0, 0);
    expect([...out]).toEqual([...src]);
    shiftImage(Float32Array.from([1, 2, 3, 4]), out.subarray(0, 4), [1, 2, 2], 0, 1);
    expect([...out.subarray(0, 4)]).toEqual([0, 0, 1, 2]);
  });

  it("rejects bad options", async () => {
    const ds = randomDataset(4, [6], 3, 3);
    await expect(trainLayersModel(tf, "t", tinyDense(tf), { train: ds, test: ds }, { epochs: 0, seed: 1, batchSize: 4, learningRate: 1e-3, source: "custom" })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
    await expect(trainLayersModel(tf, "t", tinyDense(tf), { train: ds, test: ds }, { epochs: 1, seed: 1, batchSize: 4, learningRate: 1e-3, shift: 2, source: "custom" })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS", field: "shift" });
    const img = randomDataset(4, [2, 2, 1], 3, 3);
    await expect(trainLayersModel(tf, "t", tinyDense(tf), { train: img, test: img }, { epochs: 1, seed: 1, batchSize: 4, learningRate: 1e-3, source: "custom" })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
  });
});
