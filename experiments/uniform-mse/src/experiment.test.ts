import { dequantizeTensor, InvalidOptionsError, Rng, type Dataset, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { createRunContext } from "@quantforge/core/host";
import { rawTestCoder } from "@quantforge/core/testing";
import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { laplacianDistortion, mismatchSqnrDb, optimalXMax, recommendBits } from "@quantforge/theory-laplacian";
import { describe, expect, it } from "vitest";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { formatUniformMseExperiment as formatExperimentMarkdown } from "@quantforge/report";
import { accuracyDropPoints, runUniformMseExperiment, sqnrCheck } from "./index.js";

/**
 * A tiny 16-12-4 ReLU MLP in plain JS with Laplacian weights; l1/kernel has one outlier of
 * 25× its σ (≈ 12× the tensor's RMS, which the outlier inflates).
 * Test labels are the float network's class, shifted for every 9th sample (float accuracy < 1).
 */
function tinyProbe(): ModelProbe {
  const rng = new Rng(99);
  const lap = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.laplace(s));
  const k1 = lap(192, 0.25);
  k1[7] = 25 * 0.25;
  const weights: WeightTensor[] = [
    { name: "l1/kernel", shape: [16, 12], data: k1, role: "weight", layer: "l1", layerKind: "dense" },
    { name: "l1/bias", shape: [12], data: lap(12, 0.05), role: "bias", layer: "l1", layerKind: "dense" },
    { name: "l2/kernel", shape: [12, 4], data: lap(48, 0.3), role: "weight", layer: "l2", layerKind: "dense" },
    { name: "l2/bias", shape: [4], data: lap(4, 0.05), role: "bias", layer: "l2", layerKind: "dense" },
  ];
  const predict = (ws: WeightSet, x: Float32Array, count: number): Float32Array => {
    const get = (n: string) => ws.find((t) => t.name === n)!.data;
    const [w1, b1, w2, b2] = [get("l1/kernel"), get("l1/bias"), get("l2/kernel"), get("l2/bias")];
    const out = new Float32Array(count * 4),
      h = new Float64Array(12),
      z = new Float64Array(4);
    for (let n = 0; n < count; n++) {
      for (let j = 0; j < 12; j++) {
        let s = b1[j]!;
        for (let i = 0; i < 16; i++) s += x[n * 16 + i]! * w1[i * 12 + j]!;
        h[j] = Math.max(0, s);
      }
      let m = -Infinity,
        sum = 0;
      for (let c = 0; c < 4; c++) {
        let s = b2[c]!;
        for (let j = 0; j < 12; j++) s += h[j]! * w2[j * 4 + c]!;
        z[c] = s;
        m = Math.max(m, s);
      }
      for (let c = 0; c < 4; c++) sum += Math.exp(z[c]! - m);
      for (let c = 0; c < 4; c++) out[n * 4 + c] = Math.exp(z[c]! - m) / sum;
    }
    return out;
  };
  const count = 400;
  const inputs = Float32Array.from({ length: count * 16 }, () => rng.normal());
  const probs = predict(weights, inputs, count);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let c = 1; c < 4; c++) if (probs[n * 4 + c]! > probs[n * 4 + best]!) best = c;
    labels[n] = n % 9 === 4 ? (best + 1) % 4 : best;
  }
  const testSet: Dataset = { inputs, labels, count, sampleShape: [16], classes: 4 };
  return { id: "tiny-mlp", weights, forward: { predict: async (ws, x, n) => predict(ws, x, n) }, testSet };
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const makeProbe = async (): Promise<ModelProbe> => tinyProbe();

describe("runUniformMseExperiment", () => {
  it("reports theory, measurement, overload and accuracy per (mode, R) and the bit-rate rule", async () => {
    const probe = await makeProbe();
    const e = await runUniformMseExperiment(probe, { bits: [3, 9, 16], modelEvaluators: [accuracyEvaluator()], coder: rawTestCoder(), targetsDb: [10, 30] });
    expect(e.rows.map((r) => `${r.mode}:${r.bits}`)).toEqual(["matched:3", "matched:9", "matched:16", "mismatched:3", "mismatched:9", "mismatched:16"]);
    expect(e.quantized.map((t) => t.name)).toEqual(["l1/kernel", "l2/kernel"]); // biases stay float32
    expect(e.floatAccuracy!).toBeGreaterThan(0.8);
    expect(e.floatAccuracy!).toBeLessThan(1);
    const k1 = probe.weights[0]!,
      k2 = probe.weights[2]!;
    for (const r of e.rows) {
      if (r.mode === "matched") expect(r.sqnrTheoryDb!).toBeCloseTo(laplacianDistortion(2 ** r.bits, optimalXMax(r.bits)).sqnrDb, 4);
      else {
        expect(r.tensors[0]!.sqnrTheoryDb!).toBeCloseTo(mismatchSqnrDb(r.bits, rms(k1.data)), 4);
        expect(r.tensors[1]!.sqnrTheoryDb!).toBeCloseTo(mismatchSqnrDb(r.bits, rms(k2.data)), 4);
      }
      // The measured SQNR is that of the quantizer's own decoded weights.
      const q = await uniformMseQuantizer()
        .create(uniformMseQuantizer().parseOptions({ bits: r.bits, mode: r.mode }))
        .quantize([k1, k2], createRunContext());
      let s = 0,
        err = 0;
      q.tensors.forEach((t, i) => {
        const d = dequantizeTensor(t, q.codebooks[i]!),
          w = [k1, k2][i]!.data;
        for (let j = 0; j < w.length; j++) {
          s += w[j]! ** 2;
          err += (w[j]! - d[j]!) ** 2;
        }
      });
      expect(r.sqnrMeasuredDb!).toBeCloseTo(10 * Math.log10(s / err), 9);
      expect(r.bitsPerWeight!).toBeGreaterThan(32); // the raw test coder spends 32 bits per code, plus codebooks
      expect(r.sigmaDb!).toBeCloseTo(20 * Math.log10(rms(Float32Array.from([...k1.data, ...k2.data]))), 9);
    }
    // The outlier of l1/kernel (≈ 12× its RMS) is counted as overload in matched mode at R = 9
    // (x_max ≈ 7.9σ) and dominates that tensor's error; at R = 16 (x_max ≈ 14.3σ) it is not.
    const m9 = e.rows.find((r) => r.mode === "matched" && r.bits === 9)!;
    const t1 = m9.tensors.find((t) => t.tensor === "l1/kernel")!;
    expect(t1.maxAbsOverSigma!).toBeGreaterThan(10);
    expect(t1.overloadCount).toBe(1);
    expect(t1.overloadShare!).toBeGreaterThan(0.9);
    expect(t1.sqnrMeasuredDb!).toBeLessThan(t1.sqnrTheoryDb! - 1);
    expect(t1.sqnrCheck).toBe("overload-accounted");
    const m16 = e.rows.find((r) => r.mode === "matched" && r.bits === 16)!;
    expect(m16.overloadCount).toBe(0);
    expect(m16.sqnrMeasuredDb!).toBeGreaterThan(m16.sqnrTheoryDb!); // no weight reaches the overload region
    // Without clipping, 16 bits keep every float decision of this model.
    expect(m16.accuracy).toBe(e.floatAccuracy);
    expect(m16.agreement).toBe(1);
    expect(m16.accuracyDropPoints).toBe(0);
    // Bit-rate rule: the pooled σ_w pick, checked against the mismatched run when that R was run.
    const pooled = rms(Float32Array.from([...k1.data, ...k2.data]));
    for (const b of e.bitRule) {
      const rec = recommendBits({ sigma: pooled, targetSqnrDb: b.targetSqnrDb });
      expect(b.bits).toBe(rec.bits);
      const run = e.rows.find((r) => r.mode === "mismatched" && r.bits === b.bits);
      expect(b.measuredSqnrDb).toBe(run?.sqnrMeasuredDb ?? null);
    }
    const md = formatExperimentMarkdown(e);
    expect(md).toContain("# uniform-mse on tiny-mlp");
    expect(md.split("\n").filter((l) => /^\| (matched|mismatched) \| \d+ \| -?\d/.test(l))).toHaveLength(6);
    expect(md).toContain("## Overload accounting per tensor");
  });
  it("is deterministic", async () => {
    const probe = await makeProbe();
    const a = await runUniformMseExperiment(probe, { bits: [4, 10], modes: ["mismatched"] });
    const b = await runUniformMseExperiment(probe, { bits: [4, 10], modes: ["mismatched"] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.rows[0]!.accuracy).toBeNull(); // no model evaluator given
    expect(a.acceptance.matchedAccuracyWithin01).toBeNull();
  });
  it("rejects bad options and models without weights", async () => {
    const probe = await makeProbe();
    await expect(runUniformMseExperiment(probe, { bits: [17] })).rejects.toThrow(InvalidOptionsError);
    await expect(runUniformMseExperiment(probe, { modes: ["both" as never] })).rejects.toThrow(/modes/);
    await expect(runUniformMseExperiment({ id: "empty", weights: [] })).rejects.toThrow(/no weight tensors/);
  });
});

describe("sqnrCheck", () => {
  it("classifies measured vs theory", () => {
    expect(sqnrCheck(40, 40.8, 40.6, 40.8)).toBe("within-1dB");
    expect(sqnrCheck(40, 42, 41.5, 42)).toBe("overload-accounted"); // no overload hit: measured ≈ granular theory
    expect(sqnrCheck(40, 30, 40.6, 40.3)).toBe("overload-accounted"); // heavy tail: measured w/o overload ≈ granular theory
    expect(sqnrCheck(40, 30, 40.6, 33)).toBe("unexplained");
    expect(sqnrCheck(null, 30, null, null)).toBe("n/a");
  });
});

describe("accuracyDropPoints", () => {
  it("forms the drop from integer counts when the sample count is known", () => {
    expect(accuracyDropPoints(0.9715, 0.9705, 2000)).toBe(0.1); // 2 of 2000 samples
    expect(100 * (0.9715 - 0.9705)).not.toBe(0.1); // what the naive difference gives
    expect(accuracyDropPoints(0.9715, 0.9705, null)).toBeCloseTo(0.1, 12);
    expect(accuracyDropPoints(0.5, 0.75, 4)).toBe(-25);
    expect(accuracyDropPoints(null, 0.5, 4)).toBeNull();
  });
});
