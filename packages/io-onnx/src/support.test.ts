import { describe, expect, it } from "vitest";
import { parseOnnxModel } from "./read.js";
import { accumulationTolerance, maxReductionSize, onnxQdqSupport, reductionDepth, reductionPathDepth } from "./support.js";
import { buildConstantOnnxModel, buildSubgraphOnnxModel } from "./testing/graph-fixtures.js";
import { buildMatMulOnnxModel, buildOnnxModel } from "./testing/fixtures.js";

describe("onnxQdqSupport", () => {
  it("follows the opset: DequantizeLinear ≥ 10, per-axis ≥ 13, blocked ≥ 21", () => {
    expect(onnxQdqSupport({ opset: 9 })).toEqual({ perTensor: false, perAxis: false, blocked: false });
    expect(onnxQdqSupport({ opset: 11 })).toEqual({ perTensor: true, perAxis: false, blocked: false });
    expect(onnxQdqSupport({ opset: 13 })).toEqual({ perTensor: true, perAxis: true, blocked: false });
    expect(onnxQdqSupport({ opset: 21 })).toEqual({ perTensor: true, perAxis: true, blocked: true });
  });
});

describe("maxReductionSize / accumulationTolerance", () => {
  it("reads K from Conv (C·kh·kw), Gemm (transB) and MatMul (K) weights, in Constants and subgraphs too", async () => {
    expect(maxReductionSize(await parseOnnxModel(buildOnnxModel(), "m.onnx"))).toBe(75); // Gemm B [4, 75] with transB; Conv 2·3·3 = 18
    expect(maxReductionSize(await parseOnnxModel(buildMatMulOnnxModel(), "m.onnx"))).toBe(96);
    expect(maxReductionSize(await parseOnnxModel(buildConstantOnnxModel(), "m.onnx"))).toBe(75);
    const sub = await parseOnnxModel(buildSubgraphOnnxModel(), "m.onnx");
    expect([maxReductionSize(sub), reductionDepth(sub)]).toEqual([8, 3]);
    // One MatMul in each (nested) If branch: three reducing ops, but only one on any path.
    expect(reductionPathDepth(sub)).toBe(1);
    expect(reductionPathDepth(await parseOnnxModel(buildOnnxModel(), "m.onnx"))).toBe(2); // Conv → Gemm
  });
  it("is 2·depth·γ_K with γ_K = K·u/(1 − K·u), u = 2⁻²⁴; grows with K and depth", () => {
    expect(accumulationTolerance(1)).toBeCloseTo((2 * 2 ** -24) / (1 - 2 ** -24), 20);
    expect(accumulationTolerance(1024, 3)).toBeCloseTo((6 * 1024 * 2 ** -24) / (1 - 1024 * 2 ** -24), 18);
    expect(accumulationTolerance(4096)).toBeGreaterThan(accumulationTolerance(64));
  });
});
