import { describe, expect, it } from "vitest";
import type { EvaluationSubject, Metric } from "@quantforge/core";
import { createRunContext, runPipeline } from "@quantforge/core/host";
import { coarseTestQuantizer, exactTestQuantizer, rawTestCoder } from "@quantforge/core/testing";
import { accuracyEvaluator } from "./accuracy-evaluator.js";
import { linearProbe } from "./js-probe.test-support.js";

const val = (ms: readonly Metric[], n: string) => ms.find((m) => m.name === n && m.tensor === undefined)?.value;

describe("accuracy evaluator", () => {
  it("reports float accuracy, accuracy, agreement and KL; identical weights are ideal", async () => {
    const model = linearProbe();
    const r = await runPipeline({ model, quantizer: exactTestQuantizer(), coder: rawTestCoder(), evaluators: [accuracyEvaluator()] });
    expect(val(r.metrics, "floatAccuracy")).toBeCloseTo(1 - Math.ceil((200 - 3) / 7) / 200, 12);
    expect(val(r.metrics, "accuracy")).toBe(val(r.metrics, "floatAccuracy"));
    expect(val(r.metrics, "agreement")).toBe(1);
    expect(val(r.metrics, "klDivergence")).toBe(0);
    expect(val(r.metrics, "accuracyDrop")).toBe(0);
    expect(val(r.metrics, "testSamples")).toBe(200);
  });

  it("a lossy quantization lowers agreement and raises KL, consistent with a direct computation", async () => {
    const model = linearProbe();
    const r = await runPipeline({ model, quantizer: coarseTestQuantizer(), coder: rawTestCoder(), evaluators: [accuracyEvaluator()] });
    const ds = model.testSet!;
    const p = await model.forward!.predict(model.weights, ds.inputs, ds.count);
    const q = await model.forward!.predict(r.decoded, ds.inputs, ds.count);
    let agree = 0,
      correct = 0,
      kl = 0;
    for (let n = 0; n < ds.count; n++) {
      let bp = 0,
        bq = 0;
      for (let a = 1; a < 4; a++) {
        if (p[n * 4 + a]! > p[n * 4 + bp]!) bp = a;
        if (q[n * 4 + a]! > q[n * 4 + bq]!) bq = a;
      }
      if (bp === bq) agree++;
      if (bq === ds.labels[n]) correct++;
      for (let a = 0; a < 4; a++) kl += p[n * 4 + a]! * Math.log(p[n * 4 + a]! / Math.max(q[n * 4 + a]!, 1e-12));
    }
    expect(val(r.metrics, "agreement")).toBeCloseTo(agree / ds.count, 12);
    expect(val(r.metrics, "accuracy")).toBeCloseTo(correct / ds.count, 12);
    expect(val(r.metrics, "klDivergence")).toBeCloseTo(kl / ds.count, 9);
    expect(val(r.metrics, "agreement")!).toBeLessThan(1);
    expect(val(r.metrics, "klDivergence")!).toBeGreaterThan(0);
  });

  it("caches the float predictions per probe across runs", async () => {
    const model = linearProbe();
    for (let i = 0; i < 3; i++) await runPipeline({ model, quantizer: coarseTestQuantizer(), evaluators: [accuracyEvaluator()] });
    // One float prediction, then one decoded prediction per run.
    expect(model.calls).toBe(1 + 3);
    const other = linearProbe({ seed: 2 });
    await runPipeline({ model: other, quantizer: coarseTestQuantizer(), evaluators: [accuracyEvaluator({ samples: 50 })] });
    await runPipeline({ model: other, quantizer: coarseTestQuantizer(), evaluators: [accuracyEvaluator({ samples: 60 })] });
    expect(other.calls).toBe(4);
  });

  it("limits the test samples and validates options", async () => {
    const model = linearProbe();
    const r = await runPipeline({ model, quantizer: coarseTestQuantizer(), evaluators: [{ plugin: accuracyEvaluator(), options: { samples: 30 } }] });
    expect(val(r.metrics, "testSamples")).toBe(30);
    expect(() => accuracyEvaluator().parseOptions({ samples: 0 })).toThrow(expect.objectContaining({ code: "QF_INVALID_OPTIONS", field: "samples" }));
    expect(() => accuracyEvaluator().parseOptions({ klEpsilon: -1 })).toThrow(expect.objectContaining({ code: "QF_INVALID_OPTIONS", field: "klEpsilon" }));
  });

  it("needs a model with forward and dataset", async () => {
    await expect(runPipeline({ weights: linearProbe().weights, quantizer: exactTestQuantizer(), evaluators: [accuracyEvaluator()] })).rejects.toMatchObject({ code: "QF_MISSING_CAPABILITY" });
    const { testSet: _t, ...noData } = linearProbe();
    await expect(runPipeline({ model: noData, quantizer: exactTestQuantizer(), evaluators: [accuracyEvaluator()] })).rejects.toMatchObject({ code: "QF_MISSING_CAPABILITY" });
    const e = accuracyEvaluator().create(accuracyEvaluator().parseOptions({}));
    const model = linearProbe();
    const subject: EvaluationSubject = { original: model.weights, decoded: model.weights, quantizedNames: new Set(), quantized: { tensors: [], codebooks: [] } as never };
    await expect(Promise.resolve().then(() => e.evaluate(subject, createRunContext({})))).rejects.toMatchObject({ code: "QF_MISSING_CAPABILITY" });
  });

  it("an empty test set gives null metrics with a reason", async () => {
    const model = linearProbe();
    const empty = { ...model, testSet: { ...model.testSet!, inputs: new Float32Array(0), labels: new Int32Array(0), count: 0 } };
    const r = await runPipeline({ model: empty, quantizer: exactTestQuantizer(), evaluators: [accuracyEvaluator()] });
    const acc = r.metrics.find((m) => m.name === "accuracy")!;
    expect(acc.value).toBeNull();
    expect(acc.reason).toMatch(/empty/);
  });
});

describe("modelAccuracySummary", () => {
  it("picks the model-wide metrics and nulls the missing ones", async () => {
    const { modelAccuracySummary } = await import("./summary.js");
    const ms: Metric[] = [
      { name: "accuracy", value: 0.9 },
      { name: "accuracy", value: 0.1, tensor: "t" },
      { name: "agreement", value: 0.95 },
    ];
    expect(modelAccuracySummary("m", ms)).toEqual({ id: "m", floatAccuracy: null, accuracy: 0.9, agreement: 0.95, klDivergence: null });
  });
});
