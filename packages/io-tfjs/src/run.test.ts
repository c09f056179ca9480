import { ErrorCodes } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { checkFeeds, loadTfjsFromArtifacts, runTfjsModel } from "./run.js";
import { cpuTf } from "./testing/fixtures.js";

const feed = (name: string, shape: number[]) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

describe("checkFeeds", () => {
  it("accepts feeds matching known dimensions, any size for unknown ones", () => {
    expect(() => checkFeeds([{ name: "x", shape: [1, null, null, 3], dtype: "float32" }], [feed("x", [1, 5, 7, 3])])).not.toThrow();
    expect(() => checkFeeds([{ name: "x", shape: [null, 4], dtype: "float32" }], [feed("x", [8, 4])])).not.toThrow();
  });

  it("a batch the model does not declare is a typed shape error naming the input, both shapes and the fixed batch", () => {
    let e: unknown;
    try {
      checkFeeds([{ name: "input_tensor", shape: [1, null, null, 3], dtype: "float32" }], [feed("input_tensor", [8, 5, 5, 3])]);
    } catch (x) {
      e = x;
    }
    expect(e).toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
    expect((e as Error).message).toContain('"input_tensor" takes shape [1, ?, ?, 3] but was fed [8, 5, 5, 3]');
    expect((e as Error).message).toMatch(/fixes its batch to 1/);
  });

  it("a wrong sample shape or input count is a typed shape error", () => {
    expect(() => checkFeeds([{ name: "x", shape: [null, 4], dtype: "float32" }], [feed("x", [2, 5])])).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
    expect(() => checkFeeds([{ name: "x", shape: [null, 4], dtype: "float32" }], [])).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
  });
});

describe("runTfjsModel", () => {
  it("an op the tfjs backend cannot execute is a typed one-line format error naming the runtime, not an internal failure", async () => {
    const tf = await cpuTf();
    // A graph tfjs loads but cannot execute, as the WASM backend cannot run facemesh-attention's int32 BatchMatMul.
    const topology = {
      versions: { producer: 1 },
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { dim: [{ size: "-1" }, { size: "2" }] } } } },
        { name: "y", op: "QfNoSuchKernel", input: ["x"], attr: { T: { type: "DT_FLOAT" } } },
      ],
    };
    const m = await loadTfjsFromArtifacts(tf, { modelTopology: topology, format: "graph-model", weightSpecs: [], weightData: new ArrayBuffer(0) }, "graph-model", "unrunnable.json");
    // Named as the WASM backend, which is where Node runs lack kernels the cpu backend has.
    const run = runTfjsModel({ ...tf, getBackend: () => "wasm" }, m, [{ name: "x", shape: [1, 2], data: Float32Array.of(1, 2) }]);
    await expect(run).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
    await expect(run).rejects.toThrow(/^tfjs cannot run the model on its wasm backend \(.*QfNoSuchKernel.*\)\. .*QUANTFORGE_TFJS_BACKEND=cpu.*--no-eval/);
  });

  it("a cpu-backend failure does not suggest the cpu backend", async () => {
    const tf = await cpuTf();
    const topology = {
      versions: { producer: 1 },
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" } } },
        { name: "y", op: "QfNoSuchKernel", input: ["x"] },
      ],
    };
    const m = await loadTfjsFromArtifacts(tf, { modelTopology: topology, format: "graph-model", weightSpecs: [], weightData: new ArrayBuffer(0) }, "graph-model", "unrunnable.json");
    await expect(runTfjsModel(tf, m, [{ name: "x", shape: [1], data: Float32Array.of(1) }])).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining("QUANTFORGE_TFJS_BACKEND") as unknown }));
  });
});

describe("loadTfjsFromArtifacts", () => {
  it("a custom layer class (registered only by the model's own library) is named, with the weight-only ways out, not called a topology/weights mismatch", async () => {
    const tf = await cpuTf();
    const topology = {
      class_name: "Sequential",
      config: { name: "s", layers: [{ class_name: "QfCustomLayer", config: { name: "beta", batch_input_shape: [null, 2] } }] },
      keras_version: "2.10.0",
      backend: "tensor_flow.js",
    };
    const load = loadTfjsFromArtifacts(tf, { modelTopology: topology, format: "layers-model", weightSpecs: [], weightData: new ArrayBuffer(0) }, "layers-model", "custom.json");
    await expect(load).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
    await expect(load).rejects.toThrow(/^custom\.json: tfjs cannot build the model: it uses the custom layer class "QfCustomLayer", .*--no-eval/);
  });
});
