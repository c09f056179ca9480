import { ErrorCodes, MissingCapabilityError, ShapeMismatchError, type EvaluationSubject, type Metric, type ModelProbe, type WeightSet } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { twoHeadProbe } from "./fake-probe.test-support.js";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter, fidelityEvaluator, fidelityInputs, meanKl, relativeError, softmaxRows, top1Agreement } from "./index.js";

function subject(original: WeightSet, decoded: WeightSet): EvaluationSubject {
  return { original, decoded, quantizedNames: new Set(original.map((t) => t.name)), quantized: { codebooks: [], tensors: [] } };
}
function perturb(ws: WeightSet, name: string, f: (v: number, i: number) => number): WeightSet {
  return ws.map((t) => (t.name === name ? { ...t, data: t.data.map(f) } : t));
}
async function evaluate(model: ModelProbe, decoded: WeightSet, opts: Record<string, unknown> = {}, seed = 3): Promise<Map<string, Metric>> {
  const e = instantiate(fidelityEvaluator(), opts);
  const ms = await e.evaluate(subject(model.weights, decoded), createRunContext({ seed, model }));
  return new Map(ms.map((m) => [m.name, m]));
}

describe("fidelity metrics (pure)", () => {
  it("relative error is ‖q − f‖/‖f‖, 0 for identical outputs and null for a zero float output", () => {
    expect(relativeError(Float32Array.of(3, 4), Float32Array.of(3, 5)).value).toBeCloseTo(1 / 5, 12);
    expect(relativeError(Float32Array.of(1, 2), Float32Array.of(1, 2))).toEqual({ value: 0 });
    expect(relativeError(Float32Array.of(0, 0), Float32Array.of(0, 0))).toEqual({ value: 0 });
    expect(relativeError(Float32Array.of(0, 0), Float32Array.of(0, 1))).toMatchObject({ value: null });
  });
  it("KL is ≥ 0, 0 on identical rows; softmax rows sum to 1; top-1 agreement counts equal arg-maxes", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 8, maxLength: 8 }), fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 8, maxLength: 8 }), (a, b) => {
        const p = softmaxRows(Float32Array.from(a), 2, 4),
          q = softmaxRows(Float32Array.from(b), 2, 4);
        expect(meanKl(p, q, 2, 4)).toBeGreaterThanOrEqual(0);
        expect(meanKl(p, p, 2, 4)).toBe(0);
        for (let n = 0; n < 2; n++) expect(Math.abs(p[n * 4]! + p[n * 4 + 1]! + p[n * 4 + 2]! + p[n * 4 + 3]! - 1)).toBeLessThan(1e-6);
      }),
    );
    expect(top1Agreement(Float32Array.of(0.9, 0.1, 0.2, 0.8), Float32Array.of(0.6, 0.4, 0.7, 0.3), 2, 2)).toBe(0.5);
  });
});

describe("fidelity evaluator", () => {
  it("gives exactly 0 error, 0 KL and agreement 1 for identical weights", async () => {
    const m = twoHeadProbe();
    const r = await evaluate(m, m.weights);
    expect(r.get("outputRelError")!.value).toBe(0);
    expect(r.get("outputRelErrorWorst")!.value).toBe(0);
    expect(r.get("outputKl")!.value).toBe(0);
    expect(r.get("top1Agreement")!.value).toBe(1);
    expect(r.get("fidelitySamples")!.value).toBe(32);
  });
  it("reports each output and the worst: perturbing the regression kernel moves only `reg`", async () => {
    const m = twoHeadProbe();
    const dec = perturb(m.weights, "r/kernel", (v, i) => v + (i % 2 ? 0.01 : -0.01));
    const r = await evaluate(m, dec);
    expect(r.get("outputRelError:probs")!.value).toBe(0);
    const reg = r.get("outputRelError:reg")!.value!;
    expect(reg).toBeGreaterThan(0);
    // Direct computation on the same (seeded random) inputs.
    const inp = fidelityInputs(m, DEFAULT_FIDELITY_SETTINGS, 3);
    const f = (await m.forward!.predictOutputs!(m.weights, inp.inputs, inp.count))[1]!.data;
    const q = (await m.forward!.predictOutputs!(dec, inp.inputs, inp.count))[1]!.data;
    expect(reg).toBeCloseTo(relativeError(f, q).value!, 12);
    expect(r.get("outputRelErrorWorst")!.value).toBe(reg);
    expect(r.get("outputKl")!.value).toBe(0);
  });
  it("KL and top-1 agreement react to a perturbed classifier", async () => {
    const m = twoHeadProbe();
    const r = await evaluate(
      m,
      perturb(m.weights, "a/kernel", (v, i) => (i % 3 === 0 ? -v : v)),
      { samples: 200 },
    );
    expect(r.get("outputKl")!.value).toBeGreaterThan(0);
    expect(r.get("top1Agreement")!.value).toBeLessThan(1);
    expect(r.get("outputRelError:probs")!.value).toBeGreaterThan(0);
  });
  it("uses the test set when present, else the calibration set, else seeded random inputs in the documented range", () => {
    const withCal = twoHeadProbe({ calibration: 10 });
    const a = fidelityInputs(withCal, DEFAULT_FIDELITY_SETTINGS, 1);
    expect(a).toMatchObject({ source: "calibration", count: 10 });
    expect(a.inputs).toEqual(withCal.calibrationSet!.inputs);
    const both = { ...withCal, testSet: { ...withCal.calibrationSet!, inputs: withCal.calibrationSet!.inputs.map((v) => v + 1) } };
    const t = fidelityInputs(both, DEFAULT_FIDELITY_SETTINGS, 1);
    expect(t).toMatchObject({ source: "test", count: 10 });
    expect(t.inputs).toEqual(both.testSet.inputs);
    expect(fidelityInputs(both, { ...DEFAULT_FIDELITY_SETTINGS, source: "calibration" }, 1).source).toBe("calibration");
    const m = twoHeadProbe();
    const r1 = fidelityInputs(m, { ...DEFAULT_FIDELITY_SETTINGS, inputRange: [-2, 3] }, 5);
    const r2 = fidelityInputs(m, { ...DEFAULT_FIDELITY_SETTINGS, inputRange: [-2, 3] }, 5);
    const r3 = fidelityInputs(m, { ...DEFAULT_FIDELITY_SETTINGS, inputRange: [-2, 3] }, 6);
    expect(r1.source).toBe("random");
    expect(r1.inputs).toEqual(r2.inputs);
    expect(r1.inputs).not.toEqual(r3.inputs);
    expect(Math.min(...r1.inputs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...r1.inputs)).toBeLessThan(3);
  });
  it("runs the float model once per meter", async () => {
    const m = twoHeadProbe();
    const meter = new FidelityMeter(m, m.weights);
    await meter.measure(m.weights);
    await meter.measure(perturb(m.weights, "a/kernel", (v) => v * 1.01));
    expect(m.calls).toBe(3);
  });
  it("classifier none gives null KL with a reason; logits mode softmaxes raw outputs", async () => {
    const m = twoHeadProbe();
    const dec = perturb(m.weights, "r/kernel", (v) => v * 1.1);
    const none = await evaluate(m, dec, { classifier: "none" });
    expect(none.get("outputKl")).toMatchObject({ value: null });
    expect(none.get("outputKl")!.reason).toMatch(/classifier/);
    // In logits mode the 3-wide regression head is read as logits too.
    const lg = await evaluate(m, dec, { classifier: "logits" });
    expect(lg.get("outputKl")!.value).toBeGreaterThan(0);
  });
  it("fails with typed errors: no forward pass, no input shape, bad options", async () => {
    const m = twoHeadProbe({ inputShape: false });
    await expect(evaluate(m, m.weights)).rejects.toBeInstanceOf(ShapeMismatchError);
    await expect(evaluate(m, m.weights, { inputShape: [16] })).resolves.toBeDefined();
    const noFwd: ModelProbe = { id: "x", weights: m.weights };
    await expect(evaluate(noFwd, m.weights)).rejects.toBeInstanceOf(MissingCapabilityError);
    expect(() => fidelityEvaluator().parseOptions({ inputRange: [1, 0] })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
    expect(() => fidelityEvaluator().parseOptions({ samples: 0 })).toThrow(/samples/);
  });
});
