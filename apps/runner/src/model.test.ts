import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeIdx } from "@quantforge/datasets";
import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { fixedCoder } from "@quantforge/coder-fixed";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";

let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
});
afterAll(async () => {
  await t.cleanup();
});

describe("run --model", () => {
  it("rtn 8-bit on mnist-mlp: the model block, accuracy within 0.2 points of float (issue 3 acceptance)", async () => {
    const r = await cli(["run", "--model", "mnist-mlp", "--quantizer", "rtn", "--bits", "8", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc.model)).toEqual(["id", "floatAccuracy", "accuracy", "agreement", "klDivergence"]);
    expect(doc.model.id).toBe("mnist-mlp");
    expect(doc.model.floatAccuracy).toBeGreaterThanOrEqual(0.96);
    expect(Math.abs(doc.model.floatAccuracy - doc.model.accuracy)).toBeLessThanOrEqual(0.002 + 1e-12);
    expect(doc.model.agreement).toBeGreaterThan(0.99);
    expect(doc.input).toEqual({ model: "mnist-mlp", data: "embedded" });
    // Kernels quantized, biases float32 and counted in the size.
    expect(doc.tensors.map((x: { name: string }) => x.name)).toEqual(["dense_1/kernel", "dense_2/kernel", "dense_3/kernel"]);
    expect(doc.passthrough.map((x: { name: string }) => x.name)).toEqual(["dense_1/bias", "dense_2/bias", "dense_3/bias"]);
    expect(doc.summary.count).toBe(266_610);
  });
  it("--all-tensors quantizes the biases too; --exclude keeps a layer in float32", async () => {
    const all = JSON.parse((await cli(["run", "--model", "mnist-mlp", "--quantizer", "rtn", "--bits", "8", "--json", "--all-tensors"])).out);
    expect(all.passthrough).toEqual([]);
    const ex = JSON.parse((await cli(["run", "--model", "mnist-mlp", "--quantizer", "rtn", "--bits", "8", "--json", "--exclude", "dense_3"])).out);
    expect(ex.tensors.map((x: { name: string }) => x.name)).toEqual(["dense_1/kernel", "dense_2/kernel"]);
  });
  it("the table output ends with the model line", async () => {
    const r = await cli(["run", "--model", "mnist-mlp", "--quantizer", "rtn", "--bits", "2"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model mnist-mlp: float accuracy \d+\.\d\d%, accuracy \d+\.\d\d%, top-1 agreement/);
  });
  it("needs exactly one of --weights and --model; an unknown model is QF_IO", async () => {
    const both = await cli(["run", "--model", "mnist-mlp", "--weights", "x.safetensors", "--quantizer", "rtn"]);
    expect([both.code, errorCode(both)]).toEqual([2, "QF_USAGE"]);
    const none = await cli(["run", "--quantizer", "rtn"]);
    expect([none.code, errorCode(none)]).toEqual([2, "QF_USAGE"]);
    const bad = await cli(["run", "--model", t.path("nope"), "--quantizer", "rtn"]);
    expect([bad.code, errorCode(bad)]).toEqual([2, "QF_IO"]);
  });
  it("a malformed model.json is QF_FORMAT", async () => {
    writeFileSync(t.path("model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "a", shape: [4], dtype: "float32" }] }] }));
    writeFileSync(t.path("w.bin"), new Uint8Array(8));
    const r = await cli(["run", "--model", t.path("model.json"), "--quantizer", "rtn"]);
    expect([r.code, errorCode(r)]).toEqual([2, "QF_FORMAT"]);
  });
});

describe("demo on a model", () => {
  it("a head-to-head table with SQNR, accuracy and bits/weight per quantizer and bit width", async () => {
    const plugins = [rtnQuantizer(), fixedCoder(), sqnrEvaluator(), sizeEvaluator(), accuracyEvaluator()];
    const r = await cli(["demo", "--bits", "2,8", "--json"], { plugins });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.model).toBe("mnist-mlp");
    expect(doc.cells.map((c: { quantizer: string; bits: number }) => [c.quantizer, c.bits])).toEqual([
      ["rtn", 2],
      ["rtn", 8],
    ]);
    const [two, eight] = doc.cells;
    expect(eight.accuracy).toBeGreaterThan(two.accuracy);
    expect(eight.sqnrDb).toBeGreaterThan(two.sqnrDb + 20);
    expect(eight.bitsPerWeight).toBeGreaterThan(8);
    expect(eight.bitsPerWeight).toBeLessThan(8.1);
    const table = await cli(["demo", "--bits", "4"], { plugins });
    expect(table.out).toMatch(/mnist-mlp: 266200 kernel weights quantized, 410 biases kept in float32/);
    // Ranked per bit width by the model-output metric (issue 15): bits, rank, quantizer.
    expect(table.out).toMatch(/│\s+4 │\s+1 │ rtn\s+│/);
  });
});

describe("train", () => {
  it("trains on a folder of IDX files and writes model.json, weights, Adam moments and training.json", async () => {
    const idx = t.path("idx");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(idx, { recursive: true });
    const img = (n: number) =>
      encodeIdx(
        [n, 28, 28],
        Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7919) % 251),
      );
    const lab = (n: number) =>
      encodeIdx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => i % 10),
      );
    writeFileSync(`${idx}/train-images-idx3-ubyte`, img(64));
    writeFileSync(`${idx}/train-labels-idx1-ubyte`, lab(64));
    writeFileSync(`${idx}/t10k-images-idx3-ubyte`, img(20));
    writeFileSync(`${idx}/t10k-labels-idx1-ubyte`, lab(20));
    const out = t.path("trained");
    const r = await cli(["train", "mnist-mlp", "--data", idx, "--epochs", "1", "--seed", "3", "--out", out, "--json"]);
    expect(r.code).toBe(0);
    const rec = JSON.parse(r.out);
    expect(rec).toMatchObject({ id: "mnist-mlp", seed: 3, epochs: 1, data: { source: idx, trainCount: 64, testCount: 20 }, parameters: 266_610 });
    expect(rec.curve).toHaveLength(1);
    const saved = JSON.parse(readFileSync(`${out}/training.json`, "utf8"));
    expect(saved.finalTestAccuracy).toBe(rec.finalTestAccuracy);
    expect(JSON.parse(readFileSync(`${out}/adam-moments.json`, "utf8")).iterations).toBe(1);
    // The trained folder loads as a model (its own IDX test split).
    const run = await cli(["run", "--model", out, "--data", idx, "--quantizer", "rtn", "--bits", "8", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out).model.floatAccuracy).toBe(rec.finalTestAccuracy);
    const bad = await cli(["train", "resnet", "--out", out]);
    expect([bad.code, errorCode(bad)]).toEqual([2, "QF_UNKNOWN_PLUGIN"]);
    const epochs = await cli(["train", "mnist-mlp", "--epochs", "0", "--out", out]);
    expect([epochs.code, errorCode(epochs)]).toEqual([2, "QF_USAGE"]);
  });
});
