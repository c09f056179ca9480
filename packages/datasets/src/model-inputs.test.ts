import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { inputDataset, resolveInputLayout, splitSamples, type ModelInputDecl, type ModelInputFeed } from "./model-inputs.js";
import { loadInputData } from "./input-data.js";
import { runInBatches } from "./batches.js";

const decls: ModelInputDecl[] = [
  { name: "img:0", shape: [null, 2, 2], dtype: "float32" },
  { name: "ids", shape: [null, 3], dtype: "int32" },
];

describe("resolveInputLayout", () => {
  it("concatenates the inputs' per-sample sizes; a single input keeps its own shape", () => {
    const l = resolveInputLayout("m", decls);
    expect(l.inputs.map((s) => [s.name, s.sampleShape, s.size])).toEqual([
      ["img:0", [2, 2], 4],
      ["ids", [3], 3],
    ]);
    expect([l.sampleSize, l.sampleShape, l.fixedBatch]).toEqual([7, [7], null]);
    expect(resolveInputLayout("m", decls.slice(0, 1)).sampleShape).toEqual([2, 2]);
  });
  it("unknown dims come from inputShapes (a graph input's :0 may be left out) or the data; else a typed error", () => {
    const dyn: ModelInputDecl[] = [{ name: "x:0", shape: [null, null, 3], dtype: "float32" }];
    expect(() => resolveInputLayout("m", dyn)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/--input-shape x=D,3/) }));
    expect(resolveInputLayout("m", dyn, { inputShapes: new Map([["x", [5, 3]]]) }).sampleShape).toEqual([5, 3]);
    expect(() => resolveInputLayout("m", dyn, { inputShapes: new Map([["x", [5, 4]]]) })).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
    expect(() => resolveInputLayout("m", dyn, { inputShapes: new Map([["y", [5, 3]]]) })).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
    const data = { path: "d", count: 2, tensors: new Map([["x:0", { shape: [2, 6, 3], data: new Float32Array(36) }]]) };
    expect(resolveInputLayout("m", dyn, { data }).sampleShape).toEqual([6, 3]);
    // Issue 15: a rank-0 input is fed as a scalar (was refused).
    expect(resolveInputLayout("m", [{ name: "s", shape: [], dtype: "float32" }]).inputs[0]).toMatchObject({ scalar: true, sampleShape: [], size: 1 });
    expect(() =>
      resolveInputLayout("m", [
        { name: "a", shape: [1, 2], dtype: "float32" },
        { name: "b", shape: [2, 2], dtype: "float32" },
      ]),
    ).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
    expect(resolveInputLayout("m", [{ name: "a", shape: [1, 2], dtype: "float32" }]).fixedBatch).toBe(1);
  });
});

describe("splitSamples", () => {
  it("splits each flat sample over the inputs in order; integer inputs are floored and clamped at 0", () => {
    const l = resolveInputLayout("m", [...decls, { name: "pos", shape: [null, 1], dtype: "int64" }]);
    const flat = Float32Array.of(1, 2, 3, 4, 0.5, -2, 7.9, 3.2, 10, 20, 30, 40, 1.1, 2.2, 3.3, -0.5);
    const [img, ids, pos] = splitSamples(l, flat, 2);
    expect([img!.shape, [...img!.data]]).toEqual([
      [2, 2, 2],
      [1, 2, 3, 4, 10, 20, 30, 40],
    ]);
    expect(ids!.data).toBeInstanceOf(Int32Array);
    expect([ids!.shape, [...ids!.data]]).toEqual([
      [2, 3],
      [0, 0, 7, 1, 2, 3],
    ]);
    expect([...pos!.data]).toEqual([3n, 0n]);
    expect(() => splitSamples(l, flat.subarray(1), 2)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
  });
});

describe("runInBatches", () => {
  // A "model" whose outputs are the sum of each sample's float inputs and the sample itself.
  const run = async (feeds: ModelInputFeed[]) => {
    const f = feeds[0]!;
    const n = f.shape[0]!,
      per = f.data.length / n;
    const sum = new Float32Array(n);
    for (let k = 0; k < n; k++) for (let j = 0; j < per; j++) sum[k] = sum[k]! + Number(f.data[k * per + j]);
    return [
      { name: "sum", shape: [n], data: sum },
      { name: "echo", shape: [n, per], data: Float32Array.from(f.data as Float32Array) },
    ];
  };
  const flat = Float32Array.from({ length: 7 * 4 }, (_, i) => i);
  it("concatenates batches and equals one big batch; a fixed batch size pads the last batch", async () => {
    const free = resolveInputLayout("m", [{ name: "x", shape: [null, 4], dtype: "float32" }]);
    const one = await runInBatches(free, flat, 7, 100, run);
    expect(one.map((o) => [o.name, o.shape, o.data.length])).toEqual([
      ["sum", [], 7],
      ["echo", [4], 28],
    ]);
    expect(await runInBatches(free, flat, 7, 3, run)).toEqual(one);
    const fixed = resolveInputLayout("m", [{ name: "x", shape: [4, 4], dtype: "float32" }]);
    const seen: number[] = [];
    expect(
      await runInBatches(fixed, flat, 7, 100, async (f) => {
        seen.push(f[0]!.shape[0]!);
        return run(f);
      }),
    ).toEqual(one);
    expect(seen).toEqual([4, 4]);
    const empty = await runInBatches(free, new Float32Array(0), 0, 8, run);
    expect(empty.map((o) => [o.name, o.shape, o.data.length])).toEqual([
      ["sum", [], 0],
      ["echo", [4], 0],
    ]);
  });
  it("outputs that are not batch-first are taken whole, one sample per run (issue 15; was an error)", async () => {
    const free = resolveInputLayout("m", [{ name: "x", shape: [null, 4], dtype: "float32" }]);
    const out = await runInBatches(free, flat, 7, 100, async (f) => [{ name: "s", shape: [], data: Float32Array.of((f[0]!.data as Float32Array)[0]!) }]);
    expect([out[0]!.shape, out[0]!.data.length]).toEqual([[], 7]);
    let n = 0;
    await expect(runInBatches(free, flat, 7, 100, async () => [{ name: "s", shape: [n++ < 2 ? 1 : 2], data: new Float32Array(n < 3 ? 1 : 2) }])).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
  });
});

describe("loadInputData / inputDataset", () => {
  it("reads one batch-first tensor per input into the flat per-sample layout (no labels)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qf-inputs-"));
    const p = join(dir, "d.safetensors");
    await saveSafetensors(p, [
      { name: "img", shape: [2, 2, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { name: "ids", shape: [2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) },
      { name: "extra", shape: [1], data: Float32Array.of(9) },
    ]);
    // Issue 15: a tensor named after no input is an error listing the inputs (was ignored).
    await expect(loadInputData(p, decls)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/"extra".*inputs: img/) });
    await saveSafetensors(p, [
      { name: "img", shape: [2, 2, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { name: "ids", shape: [2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) },
    ]);
    const data = await loadInputData(p, decls);
    expect(data.count).toBe(2);
    const ds = inputDataset(resolveInputLayout("m", decls, { data }), data);
    expect([...ds.inputs]).toEqual([1, 2, 3, 4, 0, 1, 2, 5, 6, 7, 8, 3, 4, 5]);
    expect([ds.count, ds.sampleShape, ds.classes, [...ds.labels]]).toEqual([2, [7], 0, [0, 0]]);
    const bad = join(dir, "bad.safetensors");
    await saveSafetensors(bad, [
      { name: "img", shape: [2, 4], data: new Float32Array(8) },
      { name: "ids", shape: [3, 3], data: new Float32Array(9) },
    ]);
    await expect(loadInputData(bad, decls)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/2 samples for one input but 3/) });
    await expect(loadInputData(join(dir, "none.safetensors"), decls)).rejects.toMatchObject({ code: "QF_IO" });
    const flat = join(dir, "flat.safetensors");
    await saveSafetensors(flat, [
      { name: "img", shape: [2, 4], data: new Float32Array(8) },
      { name: "ids", shape: [2, 3], data: new Float32Array(6) },
    ]);
    const d2 = await loadInputData(flat, decls);
    expect(() => inputDataset(resolveInputLayout("m", decls), d2)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH" }));
  });
});
