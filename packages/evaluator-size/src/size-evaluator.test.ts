import { dequantizeModelAhead, ErrorCodes, type EvaluationSubject, type Metric, type WeightSet } from "@quantforge/core";
import { createRunContext, runPipeline } from "@quantforge/core/host";
import { coarseTestQuantizer, rawTestCoder, sampleTensor } from "@quantforge/core/testing";
import { describe, expect, it } from "vitest";
import { evaluateSize, sizeEvaluator } from "./size-evaluator.js";

const weights = (): WeightSet => [
  { ...sampleTensor("a/kernel", [20, 8], { seed: 1, sigma: 0.2 }), role: "weight" },
  { ...sampleTensor("a/bias", [8], { seed: 2, sigma: 0.1 }), role: "bias" },
  { ...sampleTensor("b/kernel", [8, 5], { seed: 3, sigma: 1, dist: "gaussian" }), role: "weight" },
];
const get = (ms: readonly Metric[], name: string, tensor?: string) => ms.find((m) => m.name === name && m.tensor === tensor);

describe("size evaluator", () => {
  it("reports the container's real byte counts, per tensor and overall", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [sizeEvaluator()] });
    const enc = r.encoded!;
    expect(get(r.metrics, "bytes")!.value).toBe(enc.bytes.length);
    expect(get(r.metrics, "bytes")!.value).toBe(enc.size.totalBytes);
    const all = 160 + 8 + 40;
    expect(get(r.metrics, "bitsPerWeight")!.value).toBe((8 * enc.bytes.length) / all);
    expect(get(r.metrics, "compressionRatio")!.value).toBe((32 * all) / (8 * enc.bytes.length));
    expect(get(r.metrics, "passthroughBytes")!.value).toBe(enc.size.passthroughBytes);
    expect(enc.size.passthroughBytes).toBeGreaterThanOrEqual(8 * 4); // the float32 bias is counted at 32 bits per value
    expect(get(r.metrics, "codebookBytes")!.value! + get(r.metrics, "headerBytes")!.value! + get(r.metrics, "passthroughBytes")!.value! + enc.size.tensors.reduce((a, t) => a + t.streamBytes, 0)).toBe(enc.bytes.length);
    for (const t of enc.size.tensors) {
      expect(get(r.metrics, "bytes", t.name)!.value).toBe(t.bytes);
      expect(get(r.metrics, "bitsPerWeight", t.name)!.value).toBe((8 * t.bytes) / t.count);
    }
    // The raw test coder spends 32 bits per code, so bits/weight of a tensor exceeds 32.
    expect(get(r.metrics, "bitsPerWeight", "a/kernel")!.value).toBeGreaterThan(32);
    expect(get(r.metrics, "bytes", "a/bias")).toBeUndefined();
  });

  it("entropy of a 4-level quantizer's codes is at most 2 bits per weight and pooled over quantized tensors", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [sizeEvaluator()] });
    const codes = r.quantized.tensors.flatMap((t) => Array.from(t.codes));
    const freq = new Map<number, number>();
    for (const c of codes) freq.set(c, (freq.get(c) ?? 0) + 1);
    let h = 0;
    for (const c of freq.values()) h -= (c / codes.length) * Math.log2(c / codes.length);
    expect(get(r.metrics, "entropyBits")!.value).toBeCloseTo(h, 12);
    for (const name of ["a/kernel", "b/kernel"]) expect(get(r.metrics, "entropyBits", name)!.value).toBeLessThanOrEqual(2);
  });

  it('without a coder: byte metrics are null with reason "no coder ran"; entropies are still reported', async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), evaluators: [sizeEvaluator()] });
    for (const m of r.metrics.filter((x) => x.name !== "entropyBits")) expect(m).toMatchObject({ value: null, reason: "no coder ran" });
    expect(r.metrics.filter((x) => x.name === "entropyBits").every((m) => typeof m.value === "number")).toBe(true);
    expect(r.metrics.filter((m) => m.tensor === undefined).map((m) => m.name)).toEqual(["bytes", "bitsPerWeight", "compressionRatio", "entropyBits", "codebookBytes", "headerBytes", "passthroughBytes"]);
  });

  it("inconsistent subjects are ShapeMismatchErrors", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [] });
    const base: EvaluationSubject = { original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized, encoded: r.encoded!.size };
    const lacking = { ...base, encoded: { ...r.encoded!.size, tensors: r.encoded!.size.tensors.slice(1) } };
    expect(() => evaluateSize(lacking)).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
    const reshaped = { ...base, decoded: r.decoded.map((t) => (t.name === "a/bias" ? { ...t, shape: [2, 4] } : t)) };
    expect(() => evaluateSize(reshaped)).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
    await expect(Promise.resolve(sizeEvaluator().create({}).evaluate(base, createRunContext()))).resolves.toHaveLength(2 * 3 + 7);
  });

  it("checks the lengths of tensors decoded when read without decoding them (core's valueCount)", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [] });
    let reads = 0;
    const tensors = r.quantized.tensors.map((t) => Object.defineProperty({ ...t }, "codes", { get: () => (reads++, t.codes), enumerable: true }));
    const quantized = { ...r.quantized, tensors };
    const decoded = dequantizeModelAhead(quantized, r.original, { source: r.quantized, values: new Map(), lazy: new Set(r.quantized.tensors.map((t) => t.codes)) }).tensors;
    const before = reads;
    const lazy = evaluateSize({ original: r.original, decoded, quantizedNames: r.quantizedNames, quantized: r.quantized, encoded: r.encoded!.size });
    expect(reads).toBe(before);
    expect(lazy).toEqual(evaluateSize({ original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized, encoded: r.encoded!.size }));
  });

  it("rejects unknown options with InvalidOptionsError", () => {
    expect(() => sizeEvaluator().parseOptions({ fast: true })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
  });
});
