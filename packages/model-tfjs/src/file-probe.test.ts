import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForwardOutput, WeightSet } from "@quantforge/core";
import { defaultSelector } from "@quantforge/core/host";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { loadTfjsFromArtifacts, readTfjsModel, runTfjsModel, tfjsArtifacts, type ModelFeed, type TfjsRuntime } from "@quantforge/io-tfjs";
import { GRAPH_WEIGHTS, randomInput, writeGraphModel, writeLayersModel } from "@quantforge/io-tfjs/testing";
import { loadTfjsModelProbe, type TfjsFileModelProbe } from "./file-probe.js";
import { loadModel } from "./probe.js";
import { getTf, type Tf } from "./tf.js";

const tmp = () => mkdtempSync(join(tmpdir(), "qf-file-probe-"));

/** Outputs of a fresh load of `path` with `weights` (tfjs itself, no swapping). */
async function freshOutputs(tf: Tf, path: string, weights: WeightSet, feeds: ModelFeed[]) {
  const m = await readTfjsModel(path);
  const model = await loadTfjsFromArtifacts(tf as unknown as TfjsRuntime, await tfjsArtifacts(m, { weights: new Map(weights.map((t) => [t.name, t.data])) }), m.format, m.path);
  try {
    // As ForwardOutput: shapes per sample.
    return (await runTfjsModel(tf as unknown as TfjsRuntime, model, feeds)).map((o) => ({ ...o, shape: o.shape.slice(1) }));
  } finally {
    model.dispose();
  }
}

const bits = (o: readonly ForwardOutput[]) => o.map((x) => [x.name, [...x.shape], Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).toString("hex")]);
const scaled = (ws: WeightSet, name: string, f: number): WeightSet => ws.map((t) => (t.name === name ? { ...t, data: Float32Array.from(t.data, (v) => v * f) } : t));

/** A functional layers model with two inputs (float [3], int32 token ids [2]) and two outputs. */
async function writeMultiModel(tf: Tf, dir: string): Promise<string> {
  const a = tf.input({ shape: [3], name: "feat" });
  const ids = tf.input({ shape: [2], dtype: "int32", name: "ids" });
  const emb = tf.layers
    .flatten({ name: "flat" })
    .apply(tf.layers.embedding({ inputDim: 5, outputDim: 2, name: "emb", embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 7 }) }).apply(ids)) as import("@tensorflow/tfjs").SymbolicTensor;
  const h = tf.layers.concatenate({ name: "cat" }).apply([a, emb]) as import("@tensorflow/tfjs").SymbolicTensor;
  const reg = tf.layers.dense({ units: 2, name: "reg", kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }).apply(h) as import("@tensorflow/tfjs").SymbolicTensor;
  const cls = tf.layers.dense({ units: 3, activation: "softmax", name: "cls", kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(h) as import("@tensorflow/tfjs").SymbolicTensor;
  const model = tf.model({ inputs: [a, ids], outputs: [reg, cls] });
  let art: import("@tensorflow/tfjs").io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (x) => {
      art = x;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
  writeFileSync(join(dir, "weights.bin"), new Uint8Array(tf.io.CompositeArrayBuffer.join(art!.weightData as ArrayBuffer)));
  writeFileSync(join(dir, "model.json"), JSON.stringify({ modelTopology: art!.modelTopology, format: art!.format, weightsManifest: [{ paths: ["weights.bin"], weights: art!.weightSpecs }] }));
  return join(dir, "model.json");
}

describe("loadTfjsModelProbe", () => {
  let tf: Tf;
  let graphPath: string;
  let layersPath: string;
  const open: TfjsFileModelProbe[] = [];
  const load = async (...a: Parameters<typeof loadTfjsModelProbe>) => {
    const p = await loadTfjsModelProbe(...a);
    open.push(p);
    return p;
  };
  beforeAll(async () => {
    tf = await getTf();
    graphPath = await writeGraphModel(tmp(), { seed: 3 });
    layersPath = await writeLayersModel(tf, tmp(), 4);
  });
  afterAll(() => {
    for (const p of open) p.dispose();
  });

  it("a graph model: tagged float weights (kernels selected by default), input shape, every output", async () => {
    const p = await load(graphPath);
    expect(p.format).toBe("graph-model");
    expect(p.weights.map((t) => [t.name, t.role, t.shape])).toEqual([
      [GRAPH_WEIGHTS.filter, "weight", [3, 3, 2, 4]],
      [GRAPH_WEIGHTS.convBias, "bias", [4]],
      [GRAPH_WEIGHTS.kernel, "weight", [64, 10]],
      [GRAPH_WEIGHTS.bias, "bias", [10]],
    ]);
    expect(p.weights.filter(defaultSelector).map((t) => t.name)).toEqual([GRAPH_WEIGHTS.filter, GRAPH_WEIGHTS.kernel]);
    expect(p.inputShape).toEqual([4, 4, 2]);
    expect(p.calibrationSet).toBeUndefined();
    const x = randomInput(1, [5, 4, 4, 2]);
    const outs = await p.forward.predictOutputs(p.weights, x, 5);
    expect(outs.map((o) => [o.name, o.shape, o.data.length])).toEqual([["Identity", [10], 50]]);
    expect([...(await p.forward.predict(p.weights, x, 5))]).toEqual([...outs[0]!.data]);
  });

  it("counts a sample's multiply-accumulates from the kernels the model runs, once, between forward passes", async () => {
    const p = await load(graphPath);
    const x = randomInput(4, [3, ...p.inputShape]);
    const before = await p.forward.predictOutputs(p.weights, x, 3);
    // Queued with forward passes: none runs with another's weights in place.
    const [macs, again, after] = await Promise.all([p.forward.macsPerSample!(), p.forward.macsPerSample!(), p.forward.predictOutputs(p.weights, x, 3)]);
    // 'SAME' conv [4,4,2] * [3,3,2,4]: 64 outputs × 18, dense 64 → 10: 640; plus one per output
    // element of the few element-wise kernels (bias adds, ReLU, reshape, identity: ≤ 64 each).
    expect(macs).toBeGreaterThanOrEqual(64 * 18 + 640);
    expect(macs).toBeLessThanOrEqual(64 * 18 + 640 + 8 * 64);
    expect(again).toBe(macs);
    expect(bits(after)).toEqual(bits(before));
  });

  for (const kind of ["graph", "layers"] as const) {
    it(`${kind} model: outputs after swapping weights equal a fresh load with them, bit for bit, without leaking tensors`, async () => {
      const path = kind === "graph" ? graphPath : layersPath;
      const p = await load(path);
      const count = 7;
      const x = randomInput(2, [count, ...p.inputShape]);
      const feeds: ModelFeed[] = [{ name: p.layout.inputs[0]!.name, shape: [count, ...p.inputShape], data: x }];
      const kernel = p.weights.find((t) => t.role === "weight")!.name;
      const changed = scaled(p.weights, kernel, 0.5);
      const base = await p.forward.predictOutputs(p.weights, x, count);
      expect(bits(base)).toEqual(bits(await freshOutputs(tf, path, p.weights, feeds)));
      const before = tf.memory().numTensors;
      const swapped = await p.forward.predictOutputs(changed, x, count);
      expect(bits(swapped)).toEqual(bits(await freshOutputs(tf, path, changed, feeds)));
      expect(bits(swapped)).not.toEqual(bits(base));
      // A partial set restores the rest to the float weights; repeated swaps leak nothing.
      for (let i = 0; i < 5; i++) {
        await p.forward.predictOutputs(scaled(p.weights, kernel, 1 + i / 10), x, count);
        expect(bits(await p.forward.predictOutputs([], x, count))).toEqual(bits(base));
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("rejects weights that are not the model's, or of another size", async () => {
    const p = await load(graphPath);
    const x = randomInput(1, [1, 4, 4, 2]);
    await expect(p.forward.predictOutputs([{ name: "nope", shape: [1], data: new Float32Array(1) }], x, 1)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(p.forward.predictOutputs([{ name: GRAPH_WEIGHTS.bias, shape: [9], data: new Float32Array(9) }], x, 1)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(p.forward.predictOutputs(p.weights, x.subarray(1), 1)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
  });

  it("several inputs: a flat sample is split over the inputs in order; int32 inputs get floor, clamped at 0", async () => {
    const path = await writeMultiModel(tf, tmp());
    const p = await load(path);
    expect(p.format).toBe("layers-model");
    expect(p.layout.inputs.map((s) => [s.name, s.dtype, s.sampleShape])).toEqual([
      ["feat", "float32", [3]],
      ["ids", "int32", [2]],
    ]);
    expect(p.inputShape).toEqual([5]);
    expect(p.weights.find((t) => t.name === "emb/embeddings")?.role).toBe("weight");
    // Two samples: [feat(3) | ids(2)] each; ids 2.7 → 2, −1 → 0, 4 → 4, 0.2 → 0.
    const flat = Float32Array.of(0.1, -0.2, 0.3, 2.7, -1, 0.5, 0.25, -0.75, 4, 0.2);
    const outs = await p.forward.predictOutputs(p.weights, flat, 2);
    const direct = await freshOutputs(tf, path, p.weights, [
      { name: "feat", shape: [2, 3], data: Float32Array.of(0.1, -0.2, 0.3, 0.5, 0.25, -0.75) },
      { name: "ids", shape: [2, 2], data: Int32Array.of(2, 0, 4, 0) },
    ]);
    expect(outs.map((o) => [o.name, o.shape])).toEqual([
      [direct[0]!.name, [2]],
      [direct[1]!.name, [3]],
    ]);
    expect(outs[0]!.name).not.toBe(outs[1]!.name);
    expect(bits(outs)).toEqual(bits(direct));
  });

  it("unknown input dimensions need inputShapes (a typed error naming --input-shape) or a data file", async () => {
    const dir = tmp();
    await writeGraphModel(dir, { seed: 5 });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    j.modelTopology.node[0].attr.shape.shape.dim[1].size = "-1";
    writeFileSync(join(dir, "model.json"), JSON.stringify(j));
    await expect(loadTfjsModelProbe(dir)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/--input-shape x=D,4,2/) });
    const p = await load(dir, { inputShapes: new Map([["x", [4, 4, 2]]]) });
    expect(p.inputShape).toEqual([4, 4, 2]);
    await expect(loadTfjsModelProbe(dir, { inputShapes: new Map([["x", [4, 5, 2]]]) })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(loadTfjsModelProbe(dir, { inputShapes: new Map([["y", [4, 4, 2]]]) })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    const data = join(dir, "calib.safetensors");
    await saveSafetensors(data, [{ name: "x", shape: [6, 4, 4, 2], data: randomInput(9, [6, 4, 4, 2]) }]);
    const q = await load(dir, { data });
    expect(q.inputShape).toEqual([4, 4, 2]);
    expect([q.calibrationSet!.count, q.calibrationSet!.sampleShape]).toEqual([6, [4, 4, 2]]);
  });

  it("a data file becomes the calibration set; a missing input tensor or wrong sample shape is a typed error", async () => {
    const dir = tmp();
    const x = randomInput(4, [3, 4, 4, 2]);
    const any = join(dir, "any.safetensors");
    await saveSafetensors(any, [{ name: "images", shape: [3, 4, 4, 2], data: x }]);
    // Issue 15: a tensor named after no input is an error, also for a single-input model (was accepted).
    await expect(load(graphPath, { data: any })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await saveSafetensors(any, [{ name: "x", shape: [3, 4, 4, 2], data: x }]);
    const p = await load(graphPath, { data: any });
    expect(p.calibrationSet!.count).toBe(3);
    expect([...p.calibrationSet!.inputs]).toEqual([...x]);
    const two = join(dir, "two.safetensors");
    await saveSafetensors(two, [
      { name: "a", shape: [3, 32], data: x },
      { name: "b", shape: [3, 32], data: x },
    ]);
    await expect(loadTfjsModelProbe(graphPath, { data: two })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/no tensor for model input "x"/) });
    const flat = join(dir, "flat.safetensors");
    await saveSafetensors(flat, [{ name: "x", shape: [3, 32], data: x }]);
    await expect(loadTfjsModelProbe(graphPath, { data: flat })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(loadTfjsModelProbe(graphPath, { data: join(dir, "missing.safetensors") })).rejects.toMatchObject({ code: "QF_IO" });
  });

  it("loadModel dispatches: reference ids keep the MNIST probe, other model.json files get the file probe", async () => {
    const g = await loadModel(graphPath);
    open.push(g as TfjsFileModelProbe);
    expect("format" in g && g.format).toBe("graph-model");
    const l = await loadModel(layersPath);
    open.push(l as TfjsFileModelProbe);
    expect("format" in l && l.format).toBe("layers-model");
    const ref = await loadModel("mnist-mlp");
    expect("spec" in ref && ref.testSet.count).toBe(2000);
    await expect(loadModel(graphPath, { data: "embedded" })).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
    const bad = tmp();
    writeFileSync(join(bad, "model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "a", shape: [2], dtype: "float32" }] }] }));
    writeFileSync(join(bad, "w.bin"), new Uint8Array(8));
    await expect(loadModel(bad)).rejects.toMatchObject({ code: "QF_FORMAT" });
    await expect(loadModel(join(bad, "nope.json"))).rejects.toMatchObject({ code: "QF_IO" });
  });

  it("runs in batches, also when the model fixes its batch size (the last batch padded), with the same outputs", async () => {
    const p = await load(graphPath, { batchSize: 3 });
    const q = await load(graphPath);
    const dir = tmp();
    await writeGraphModel(dir, { seed: 3 });
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    j.modelTopology.node[0].attr.shape.shape.dim[0].size = "2";
    writeFileSync(join(dir, "model.json"), JSON.stringify(j));
    const f = await load(dir);
    expect(f.layout.fixedBatch).toBe(2);
    const x = randomInput(6, [5, 4, 4, 2]);
    const want = await q.forward.predictOutputs(q.weights, x, 5);
    for (const r of [p, f]) {
      const got = await r.forward.predictOutputs(r.weights, x, 5);
      expect(got[0]!.data.length).toBe(50);
      got[0]!.data.forEach((v, i) => expect(Math.abs(v - want[0]!.data[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(v))));
    }
    expect((await p.forward.predictOutputs(p.weights, new Float32Array(0), 0)).map((o) => [o.name, o.shape, o.data.length])).toEqual([["Identity", [10], 0]]);
  });
});
