import { describe, expect, it } from "vitest";
import { onnxInputDecls } from "./input-decls.js";
import { parseOnnxModel } from "./read.js";
import { buildStateOnnxModel, buildSubgraphOnnxModel } from "./testing/graph-fixtures.js";
import { buildOnnxModel, encodeModel, vi } from "./testing/fixtures.js";

/**
 * sr (scalar int64) → Reshape [−1] → Gather 0 → Equal 16000 → Where(·, x, −x): how the torch.onnx
 * dynamo exporter writes silero VAD's sample-rate switch (silero_vad_op18_ifless.onnx).
 */
function gatheredSwitchModel(): Uint8Array {
  const i64 = (name: string, dims: number[], v: number[]) => ({ name, dims, data_type: 7, int64_data: v });
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: "", version: 18 }],
    graph: {
      name: "gathered-switch",
      initializer: [i64("flat", [1], [-1]), i64("first", [], [0]), i64("sixteen_k", [], [16000])],
      node: [
        { name: "r", op_type: "Reshape", input: ["sr", "flat"], output: ["sr_1d"] },
        { name: "g", op_type: "Gather", input: ["sr_1d", "first"], output: ["sr_0"] },
        { name: "eq", op_type: "Equal", input: ["sr_0", "sixteen_k"], output: ["is16k"] },
        { name: "neg", op_type: "Neg", input: ["x"], output: ["nx"] },
        { name: "w", op_type: "Where", input: ["is16k", "x", "nx"], output: ["y"] },
      ],
      input: [vi("x", ["N", 4]), { name: "sr", type: { tensor_type: { elem_type: 7, shape: { dim: [] } } } }],
      output: [vi("y", ["N", 4])],
    },
  });
}

describe("onnxInputDecls", () => {
  it("a scalar int input the graph switches on gets the constants it is compared with (If subgraphs included), ascending", async () => {
    const decls = onnxInputDecls(await parseOnnxModel(buildSubgraphOnnxModel(), "m.onnx"));
    expect(decls).toEqual([
      { name: "x", shape: [null, 8], dimNames: ["N", null], dtype: "float32" },
      { name: "sr", shape: [], dtype: "int64", values: [8000, 16000] },
    ]);
  });
  it("bool inputs and symbolic dimension names are kept; a model without comparisons has no values", async () => {
    const decls = onnxInputDecls(await parseOnnxModel(buildStateOnnxModel(), "m.onnx"));
    expect(decls.map((d) => [d.name, d.dtype, d.dimNames, d.values])).toEqual([
      ["x", "float32", ["N", null], undefined],
      ["h", "float32", [null, "N", null], undefined],
      ["m", "bool", ["N", null], undefined],
    ]);
    expect(onnxInputDecls(await parseOnnxModel(buildOnnxModel({ seed: 1 }), "m.onnx")).every((d) => d.values === undefined)).toBe(true);
  });
  it("a comparison after Reshape and Gather of the scalar input still tests it (one element: any selection is the input)", async () => {
    const decls = onnxInputDecls(await parseOnnxModel(gatheredSwitchModel(), "m.onnx"));
    expect(decls.find((d) => d.name === "sr")).toEqual({ name: "sr", shape: [], dtype: "int64", values: [16000] });
  });
});
