import { describe, expect, it } from "vitest";
import { onnxInputDecls } from "./input-decls.js";
import { parseOnnxModel } from "./read.js";
import { buildStateOnnxModel, buildSubgraphOnnxModel } from "./testing/graph-fixtures.js";
import { buildOnnxModel } from "./testing/fixtures.js";

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
});
