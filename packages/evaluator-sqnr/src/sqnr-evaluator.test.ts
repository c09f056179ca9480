import { dequantizeModelAhead, ErrorCodes, type EvaluationSubject, type Metric, type WeightSet } from "@quantforge/core";
import { createRunContext, runPipeline } from "@quantforge/core/host";
import { coarseTestQuantizer, exactTestQuantizer, rawTestCoder, sampleTensor } from "@quantforge/core/testing";
import { describe, expect, it } from "vitest";
import type { SqnrExtension } from "./extensions.js";
import { evaluateSqnr, sqnrEvaluator } from "./sqnr-evaluator.js";
import { accumulateStats, emptyStats } from "./sqnr-impl.js";

const weights = (): WeightSet => [
  { ...sampleTensor("a/kernel", [20, 8], { seed: 1, sigma: 0.2 }), role: "weight" },
  { ...sampleTensor("a/bias", [8], { seed: 2, sigma: 0.1 }), role: "bias" },
  { ...sampleTensor("b/kernel", [8, 5], { seed: 3, sigma: 1, dist: "gaussian" }), role: "weight" },
];

const value = (ms: readonly Metric[], name: string, tensor?: string) => ms.find((m) => m.name === name && m.tensor === tensor);

/** Independent SQNR over a list of (original, decoded) arrays. */
function refSqnr(pairs: [Float32Array, Float32Array][]): number {
  let s = 0,
    n = 0;
  for (const [w, d] of pairs)
    for (let i = 0; i < w.length; i++) {
      s += w[i]! ** 2;
      n += (w[i]! - d[i]!) ** 2;
    }
  return 10 * Math.log10(s / n);
}

describe("sqnr evaluator", () => {
  it("reports mse, maxAbsError and sqnrDb per quantized tensor, then overall over the quantized tensors only", async () => {
    const ws = weights();
    const r = await runPipeline({ weights: ws, quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [sqnrEvaluator()] });
    expect(r.metrics.map((m) => `${m.tensor ?? "*"}:${m.name}`)).toEqual(["a/kernel:mse", "a/kernel:maxAbsError", "a/kernel:sqnrDb", "b/kernel:mse", "b/kernel:maxAbsError", "b/kernel:sqnrDb", "*:mse", "*:maxAbsError", "*:sqnrDb"]);
    const pair = (name: string): [Float32Array, Float32Array] => [ws.find((t) => t.name === name)!.data, r.decoded.find((t) => t.name === name)!.data];
    expect(value(r.metrics, "sqnrDb", "a/kernel")!.value).toBeCloseTo(refSqnr([pair("a/kernel")]), 10);
    // Overall pools only the quantized weights (the float32 bias would inflate it).
    expect(value(r.metrics, "sqnrDb")!.value).toBeCloseTo(refSqnr([pair("a/kernel"), pair("b/kernel")]), 10);
    const [w, d] = pair("b/kernel");
    let mx = 0,
      se = 0;
    w.forEach((v, i) => {
      mx = Math.max(mx, Math.abs(v - d[i]!));
      se += (v - d[i]!) ** 2;
    });
    expect(value(r.metrics, "maxAbsError", "b/kernel")!.value).toBe(mx);
    expect(value(r.metrics, "mse", "b/kernel")!.value).toBeCloseTo(se / w.length, 15);
  });

  it("an exact reconstruction reports sqnrDb null, exact: true, per tensor and overall", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: exactTestQuantizer(), evaluators: [sqnrEvaluator()] });
    for (const m of r.metrics.filter((x) => x.name === "sqnrDb")) expect(m).toMatchObject({ value: null, exact: true, reason: "exact reconstruction" });
  });

  it("zero signal power: null with a reason; other tensors and the overall value are unaffected", async () => {
    const ws: WeightSet = [{ name: "z", shape: [4], data: new Float32Array(4) }, sampleTensor("x", [16], { seed: 9 })];
    const r = await runPipeline({ weights: ws, quantizer: coarseTestQuantizer(), evaluators: [sqnrEvaluator()] });
    // An all-zero tensor is constant, so the coarse quantizer keeps it exact: force noise instead.
    const subject: EvaluationSubject = { ...r, decoded: [{ ...r.decoded[0]!, data: new Float32Array([0, 0.5, 0, 0]) }, r.decoded[1]!], encoded: undefined };
    const ms = evaluateSqnr(subject, createRunContext());
    expect(value(ms, "sqnrDb", "z")).toMatchObject({ value: null, reason: "zero signal power" });
    expect(Number.isFinite(value(ms, "sqnrDb")!.value)).toBe(true);
  });

  it("throws ShapeMismatchError for a missing or reshaped decoded tensor", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), evaluators: [] });
    const base: EvaluationSubject = { original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized };
    const missing = { ...base, decoded: r.decoded.filter((t) => t.name !== "b/kernel") };
    expect(() => evaluateSqnr(missing, createRunContext())).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
    const reshaped = { ...base, decoded: r.decoded.map((t) => (t.name === "a/kernel" ? { ...t, shape: [8, 20] } : t)) };
    expect(() => evaluateSqnr(reshaped, createRunContext())).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
  });

  it("runs extensions after the measured metrics with the tensor's codebook and statistics", async () => {
    const seen: string[] = [];
    const ext: SqnrExtension = {
      id: "probe",
      tensorMetrics: (i) => {
        seen.push(`${i.original.name}:${i.codebook?.kind}:${i.stats.count}`);
        return [{ name: "probe", value: i.stats.count, tensor: i.original.name }];
      },
      overallMetrics: (inputs, pooled) => [{ name: "probeAll", value: inputs.length + pooled.count }],
    };
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), evaluators: [sqnrEvaluator({}, { extensions: [ext] })] });
    expect(seen).toEqual(["a/kernel:levels:160", "b/kernel:levels:40"]);
    expect(r.metrics.map((m) => m.name).slice(0, 4)).toEqual(["mse", "maxAbsError", "sqnrDb", "probe"]);
    expect(r.metrics.at(-1)).toEqual({ name: "probeAll", value: 2 + 200 });
  });

  it("takes error sums computed ahead only for the very original and decoded arrays they were computed from", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder() });
    const subject: EvaluationSubject = { original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized };
    const plain = evaluateSqnr(subject, createRunContext());
    const d0 = r.decoded[0]!.data;
    const fake = { count: d0.length, signal: 1, noise: 1, maxAbs: 1 };
    const taken = evaluateSqnr({ ...subject, ahead: { errorStats: new Map([[d0, { original: r.original[0]!.data, stats: fake }]]) } }, createRunContext());
    expect(value(taken, "sqnrDb", r.original[0]!.name)?.value).toBe(0);
    expect(value(taken, "sqnrDb", r.original[1]!.name)).toEqual(value(plain, "sqnrDb", r.original[1]!.name));
    const otherOriginal = evaluateSqnr({ ...subject, ahead: { errorStats: new Map([[d0, { original: new Float32Array(d0.length), stats: fake }]]) } }, createRunContext());
    expect(otherOriginal).toEqual(plain);
  });

  it("takes error sums by decoded tensor without reading its values (a tensor decoded when read stays undecoded)", async () => {
    const r = await runPipeline({ weights: weights(), quantizer: coarseTestQuantizer(), coder: rawTestCoder() });
    const plain = evaluateSqnr({ original: r.original, decoded: r.decoded, quantizedNames: r.quantizedNames, quantized: r.quantized }, createRunContext());
    // Codes that count their reads: decoding a tensor reads them.
    let reads = 0;
    const tensors = r.quantized.tensors.map((t) => Object.defineProperty({ ...t }, "codes", { get: () => (reads++, t.codes), enumerable: true }));
    const quantized = { ...r.quantized, tensors };
    const lazy = () => dequantizeModelAhead(quantized, r.original, { source: r.quantized, values: new Map(), lazy: new Set(r.quantized.tensors.map((t) => t.codes)) }).tensors;
    const sums = (decoded: WeightSet, only?: string) =>
      new Map(
        decoded
          .filter((d) => r.quantizedNames.has(d.name) && (only === undefined || d.name === only))
          .map((d) => {
            const o = r.original.find((x) => x.name === d.name)!;
            return [d, { original: o.data, stats: accumulateStats(emptyStats(), o.data, r.decoded.find((x) => x.name === d.name)!.data) }] as const;
          }),
      );
    const decoded = lazy();
    const before = reads;
    const taken = evaluateSqnr({ original: r.original, decoded, quantizedNames: r.quantizedNames, quantized, ahead: { tensorErrorStats: sums(decoded) } }, createRunContext());
    expect(reads).toBe(before);
    expect(taken).toEqual(plain);
    // A tensor without sums is read (decoded) and measured: the same metrics.
    const partly = lazy();
    const mid = reads;
    const measured = evaluateSqnr({ original: r.original, decoded: partly, quantizedNames: r.quantizedNames, quantized, ahead: { tensorErrorStats: sums(partly, r.original[0]!.name) } }, createRunContext());
    expect(reads).toBeGreaterThan(mid);
    expect(measured).toEqual(plain);
  });

  it("rejects unknown options with InvalidOptionsError", () => {
    expect(() => sqnrEvaluator().parseOptions({ theory: true })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
  });
});
