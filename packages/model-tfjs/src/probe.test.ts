import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LayersModel, Tensor } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { WeightSet } from "@quantforge/core";
import { loadEmbeddedMnist } from "@quantforge/datasets";
import { im2col } from "./im2col-impl.js";
import { layersModelFromArtifacts, readMoments, readTfjsArtifacts, writeMoments } from "./model-io.js";
import { createProbe, loadModel, loadReferenceModel } from "./probe.js";
import { params64, ref64Forward } from "./ref64.test-support.js";
import { getTf, type Tf } from "./tf.js";
import { randomDataset, tinyConv, tinyDense } from "./tiny.test-support.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "qf-model-"));
}

/** A small MNIST-shaped model: flatten 784 → dense 8 ReLU → dense 10 softmax. */
function mnistTiny(tf: Tf): LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
  m.add(tf.layers.dense({ units: 8, activation: "relu", name: "dense_1", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  m.add(tf.layers.dense({ units: 10, activation: "softmax", name: "dense_2", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
  return m;
}

describe("TfjsModelProbe", () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await getTf();
  });

  it("exposes weights with roles/layers and layers with fan-in/fan-out in forward order", async () => {
    const ds = randomDataset(10, [6, 6, 1], 3, 1);
    const p = await createProbe(tinyConv(tf), { id: "tiny-conv", data: { train: ds, test: ds } });
    expect(p.weights.map((t) => [t.name, t.role, t.layer, t.layerKind, t.shape])).toEqual([
      ["conv2d_1/kernel", "weight", "conv2d_1", "conv2d", [3, 3, 1, 3]],
      ["conv2d_1/bias", "bias", "conv2d_1", "conv2d", [3]],
      ["conv2d_2/kernel", "weight", "conv2d_2", "conv2d", [2, 2, 3, 4]],
      ["conv2d_2/bias", "bias", "conv2d_2", "conv2d", [4]],
      ["dense_1/kernel", "weight", "dense_1", "dense", [16, 3]],
      ["dense_1/bias", "bias", "dense_1", "dense", [3]],
    ]);
    expect(p.layers).toEqual([
      { name: "conv2d_1", kind: "conv2d", weight: "conv2d_1/kernel", bias: "conv2d_1/bias", fanIn: 9, fanOut: 3 },
      { name: "conv2d_2", kind: "conv2d", weight: "conv2d_2/kernel", bias: "conv2d_2/bias", fanIn: 12, fanOut: 4 },
      { name: "dense_1", kind: "dense", weight: "dense_1/kernel", bias: "dense_1/bias", fanIn: 16, fanOut: 3 },
    ]);
    expect(p.optimizer).toBeUndefined();
  });

  for (const [label, build, shape] of [
    ["dense", tinyDense, [6]],
    ["conv", tinyConv, [6, 6, 1]],
  ] as const) {
    it(`predict reproduces tfjs's own model.predict (${label}) in batches`, async () => {
      const model = build(tf);
      const ds = randomDataset(1203, [...shape], 3, 4);
      const p = await createProbe(model, { id: label, data: { train: ds, test: ds } });
      const ours = await p.forward.predict(p.weights, ds.inputs, ds.count);
      const y = model.predict(tf.tensor(ds.inputs, [ds.count, ...shape])) as Tensor;
      const theirs = (await y.data()) as Float32Array;
      y.dispose();
      expect(ours.length).toBe(ds.count * 3);
      for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThan(1e-6);
      const numTensors = tf.memory().numTensors;
      await p.forward.predict(p.weights, ds.inputs, ds.count);
      expect(tf.memory().numTensors).toBe(numTensors);
    });
  }

  it("predict uses the weights it is given and rejects missing or misshapen tensors", async () => {
    const ds = randomDataset(20, [6], 3, 4);
    const p = await createProbe(tinyDense(tf), { id: "d", data: { train: ds, test: ds } });
    const a = await p.forward.predict(p.weights, ds.inputs, ds.count);
    const changed = p.weights.map((t) => (t.name === "dense_3/bias" ? { ...t, data: Float32Array.from(t.data, (v, i) => v + (i === 0 ? 3 : 0)) } : t));
    const b = await p.forward.predict(changed, ds.inputs, ds.count);
    expect(b[0]!).toBeGreaterThan(a[0]!);
    await expect(p.forward.predict(p.weights.slice(1), ds.inputs, ds.count)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    const bad = p.weights.map((t) => (t.name === "dense_2/kernel" ? { ...t, shape: [4, 5] } : t));
    await expect(p.forward.predict(bad, ds.inputs, ds.count)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(p.forward.predict(p.weights, ds.inputs, ds.count + 1)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
  });

  it("layerInputs of a dense layer equal a manual float64 forward, with partly changed weights", async () => {
    const model = tinyDense(tf);
    const ds = randomDataset(12, [6], 3, 8);
    const p = await createProbe(model, { id: "d", data: { train: ds, test: ds } });
    // "Quantize" the first layer crudely: the second layer's input must follow.
    const q: WeightSet = p.weights.map((t) => (t.name === "dense_1/kernel" ? { ...t, data: Float32Array.from(t.data, (v) => Math.round(v * 4) / 4) } : t));
    const m = await p.layerInputs.layerInputs("dense_2", 10, q);
    expect([m.rows, m.cols]).toEqual([10, 5]);
    const p64 = params64(model);
    p64.set("dense_1/kernel", Float64Array.from(q[0]!.data));
    const ref = ref64Forward(p.spec, p64, ds.inputs, ds.labels, 10).inputs.get(1)!;
    for (let n = 0; n < 10; n++) for (let j = 0; j < 5; j++) expect(m.data[n * 5 + j]!).toBeCloseTo(ref[n]![j]!, 5);
    const first = await p.layerInputs.layerInputs("dense_1", 3);
    expect([...first.data]).toEqual([...ds.inputs.subarray(0, 18)]);
    const unq = await p.layerInputs.layerInputs("dense_2", 10);
    expect(unq.data.some((v, i) => Math.abs(v - m.data[i]!) > 1e-3)).toBe(true);
    await expect(p.layerInputs.layerInputs("nope", 3)).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
    await expect(p.layerInputs.layerInputs("dense_2", 13)).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
  });

  it("layerInputs of a conv layer are its im2col patches in kernel order (kh, kw, cin)", async () => {
    const model = tinyConv(tf);
    const ds = randomDataset(5, [6, 6, 1], 3, 8);
    const p = await createProbe(model, { id: "c", data: { train: ds, test: ds } });
    const m = await p.layerInputs.layerInputs("conv2d_2", 4);
    // conv2d_2 sees [3,3,3] maps; a 2×2 valid kernel has 2×2 positions and 2·2·3 taps.
    expect([m.rows, m.cols]).toEqual([4 * 4, 12]);
    const ref = ref64Forward(p.spec, params64(model), ds.inputs, ds.labels, 4).inputs.get(2)!;
    const x = new Float32Array(4 * 27);
    ref.forEach((r, n) => x.set(Float32Array.from(r), n * 27));
    const want = im2col(x, 4, { height: 3, width: 3, channels: 3, kernelSize: [2, 2], strides: [1, 1], padding: "valid" });
    for (let i = 0; i < want.length; i++) expect(m.data[i]!).toBeCloseTo(want[i]!, 5);
    // Row 0 = sample 0, position (0,0): taps (0,0,c) then (0,1,c), (1,0,c), (1,1,c).
    expect(m.data[3]!).toBeCloseTo(ref[0]![3]!, 5);
    expect(m.data[6]!).toBeCloseTo(ref[0]![9]!, 5);
    // The conv patches times the kernel reproduce the layer's pre-activation.
    const k = p.weights.find((t) => t.name === "conv2d_2/kernel")!.data;
    const b = p.weights.find((t) => t.name === "conv2d_2/bias")!.data;
    const after = ref64Forward(p.spec, params64(model), ds.inputs, ds.labels, 1).inputs.get(4)!; // flatten output
    for (let pos = 0; pos < 4; pos++)
      for (let co = 0; co < 4; co++) {
        let s = b[co]!;
        for (let j = 0; j < 12; j++) s += m.data[pos * 12 + j]! * k[j * 4 + co]!;
        expect(s).toBeCloseTo(after[0]![pos * 4 + co]!, 5);
      }
  });

  it("saves and loads model.json + weights.bin bit-exactly, also with replaced weights", async () => {
    const model = mnistTiny(tf);
    const { train, test } = loadEmbeddedMnist();
    const small = { train: { ...train, count: 100, inputs: train.inputs.subarray(0, 78400), labels: train.labels.subarray(0, 100) }, test };
    const p = await createProbe(model, { id: "tiny", data: small });
    const dir = tmp();
    await p.save(dir);
    const q = await loadReferenceModel(dir);
    expect(q.weights.map((t) => t.name)).toEqual(p.weights.map((t) => t.name));
    q.weights.forEach((t, i) => expect(Buffer.from(t.data.buffer).equals(Buffer.from(p.weights[i]!.data.buffer))).toBe(true));
    const a = await p.forward.predict(p.weights, test.inputs.subarray(0, 7840), 10);
    const b = await q.forward.predict(q.weights, test.inputs.subarray(0, 7840), 10);
    expect([...b]).toEqual([...a]);
    expect(q.testSet.count).toBe(2000);
    const halved = p.weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (v) => v / 2) }));
    const dir2 = tmp();
    await p.save(dir2, halved);
    const r = await loadReferenceModel(join(dir2, "model.json"));
    r.weights.forEach((t, i) => expect([...t.data]).toEqual([...halved[i]!.data]));
    await expect(p.save(tmp(), p.weights.slice(1))).rejects.toMatchObject({ code: "QF_FORMAT" });
  });

  describe("malformed model.json", () => {
    async function saved(): Promise<string> {
      const dir = tmp();
      const ds = randomDataset(4, [28, 28, 1], 10, 1);
      await (await createProbe(mnistTiny(tf), { id: "t", data: { train: ds, test: ds } })).save(dir);
      return dir;
    }
    const json = (dir: string) => JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    const put = (dir: string, j: unknown) => writeFileSync(join(dir, "model.json"), JSON.stringify(j));

    it("truncated or oversized weight shard → QF_FORMAT", async () => {
      const dir = await saved();
      const bin = readFileSync(join(dir, "weights.bin"));
      writeFileSync(join(dir, "weights.bin"), bin.subarray(0, bin.length - 4));
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/need \d+/) });
      writeFileSync(join(dir, "weights.bin"), Buffer.concat([bin, Buffer.alloc(8)]));
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
    });
    it("manifest entry whose shape disagrees with the layer → QF_FORMAT", async () => {
      const dir = await saved();
      const j = json(dir);
      j.weightsManifest[0].weights[0].shape = [8, 784];
      put(dir, j);
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
    });
    it("manifest without a weight the model needs, or with an extra one → QF_FORMAT", async () => {
      const dir = await saved();
      const j = json(dir);
      const bias = j.weightsManifest[0].weights.pop();
      put(dir, j);
      const bin = readFileSync(join(dir, "weights.bin"));
      writeFileSync(join(dir, "weights.bin"), bin.subarray(0, bin.length - 40));
      expect(bias.name).toBe("dense_2/bias");
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
      const dir2 = await saved();
      const j2 = json(dir2);
      j2.weightsManifest[0].weights.push({ name: "ghost/kernel", shape: [2], dtype: "float32" });
      put(dir2, j2);
      writeFileSync(join(dir2, "weights.bin"), Buffer.concat([readFileSync(join(dir2, "weights.bin")), Buffer.alloc(8)]));
      await expect(loadModel(dir2)).rejects.toMatchObject({ code: "QF_FORMAT" });
    });
    it("invalid JSON, no topology, bad dtype, missing shard → QF_FORMAT; missing model → QF_IO", async () => {
      const dir = await saved();
      writeFileSync(join(dir, "model.json"), "{ not json");
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
      put(dir, { weightsManifest: [] });
      await expect(loadModel(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
      const dir2 = await saved();
      const j = json(dir2);
      j.weightsManifest[0].weights[0].dtype = "complex64";
      put(dir2, j);
      await expect(loadModel(dir2)).rejects.toMatchObject({ code: "QF_FORMAT" });
      const dir3 = await saved();
      const j3 = json(dir3);
      j3.weightsManifest[0].paths = ["missing.bin"];
      put(dir3, j3);
      // Both loaders validate shards with io-tfjs's one file policy: a missing shard is QF_FORMAT in each (issue 15: one code per problem; was QF_IO here).
      await expect(loadReferenceModel(dir3)).rejects.toMatchObject({ code: "QF_FORMAT" });
      await expect(loadModel(dir3)).rejects.toMatchObject({ code: "QF_FORMAT" });
      await expect(loadModel(join(dir3, "nope"))).rejects.toMatchObject({ code: "QF_IO" });
    });
    it("an unsupported layer is named in a QF_FORMAT error", async () => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ inputShape: [4], units: 3, activation: "tanh", name: "d" }));
      const ds = randomDataset(2, [4], 3, 1);
      await expect(createProbe(m, { id: "x", data: { train: ds, test: ds } })).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/"d" uses activation "tanh"/) });
      const dir = tmp();
      const m2 = tf.sequential();
      m2.add(tf.layers.dense({ inputShape: [4], units: 3, name: "d" }));
      m2.add(tf.layers.batchNormalization({ name: "bn" }));
      await m2.save(
        tf.io.withSaveHandler(async (a) => {
          const w = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData as ArrayBuffer));
          writeFileSync(join(dir, "weights.bin"), w);
          writeFileSync(join(dir, "model.json"), JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
          return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
        }),
      );
      const model = await layersModelFromArtifacts(tf, await readTfjsArtifacts(join(dir, "model.json")), dir);
      await expect(createProbe(model, { id: "x", data: { train: ds, test: ds } })).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/"bn" is a BatchNormalization/) });
    });
  });

  it("Adam moments files round-trip and are validated", async () => {
    const dir = tmp();
    const m = [
      { name: "a/kernel", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: "a/bias", shape: [3], data: Float32Array.from([7, 8, 9]) },
    ];
    writeMoments(dir, { optimizer: { name: "adam", learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, iterations: 5 }, m);
    const r = await readMoments(dir);
    expect(r.manifest.iterations).toBe(5);
    expect(r.moments.map((t) => [t.name, t.shape, [...t.data]])).toEqual(m.map((t) => [t.name, t.shape, [...t.data]]));
    writeFileSync(join(dir, "adam-moments.bin"), new Uint8Array(20));
    await expect(readMoments(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
    writeFileSync(join(dir, "adam-moments.json"), JSON.stringify({ format: "other" }));
    await expect(readMoments(dir)).rejects.toMatchObject({ code: "QF_FORMAT" });
  });
});
