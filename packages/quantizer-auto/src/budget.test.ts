import type { ModelProbe, QuantizedModel, QuantizerPlugin } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext, instantiate } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { describe, expect, it } from "vitest";
import { autoQuantizer, codedBits, planFor } from "./index.js";
import { mlpProbe } from "./probe.test-support.js";

const plugins: QuantizerPlugin[] = [rtnQuantizer(), uniformMseQuantizer()];

async function run(opts: Record<string, unknown>, model: ModelProbe, seed = 1): Promise<{ qm: QuantizedModel; d: CollectingDiagnostics }> {
  const d = new CollectingDiagnostics();
  const qm = await instantiate(autoQuantizer({ plugins }), opts).quantize(model.weights, createRunContext({ seed, model, diagnostics: d }));
  return { qm, d };
}
const summary = (d: CollectingDiagnostics) => d.items.find((x) => x.ruleId === "summary")!.message;

describe("auto under a time budget", () => {
  it("a small budget measures fewer candidates (the others predicted) and stays deterministic", async () => {
    const model = mlpProbe();
    const a = await run({ bits: 4, budgetSeconds: 0.004 }, model);
    expect(summary(a.d)).toMatch(/candidate errors predicted from weight error; budgetSeconds 0.004 → \d+ measured per tensor/);
    const b = await run({ bits: 4, budgetSeconds: 0.004 }, model);
    expect(b.qm).toEqual(a.qm);
    expect(b.d.items).toEqual(a.d.items);
    // Another seed draws other calibration inputs (the plan is the same: it depends on sizes only).
    const c = await run({ bits: 4, budgetSeconds: 0.004 }, model, 2);
    expect(summary(c.d)).toMatch(/budgetSeconds 0.004/);
  });
  it("the plan depends on the model's size and the budget, not on the values", async () => {
    const model = mlpProbe();
    const built = instantiate(autoQuantizer({ plugins }), {});
    expect(built.id).toBe("auto");
    const o = { bits: 4, budgetSeconds: 0.004, maxCandidates: 72, inputRange: [0, 1] as [number, number] };
    const candidates = Array.from({ length: 58 }, (_, i) => ({ label: String(i), instance: built, spec: 0, bits: 4, quantizer: "rtn", options: {}, costly: false }));
    const p1 = await planFor(model, model.weights, candidates, o);
    const scaled = { ...model, weights: model.weights.map((t) => ({ ...t, data: t.data.map((v) => v * 3) })) };
    expect(await planFor(scaled, scaled.weights, candidates, o)).toEqual(p1);
    expect(p1.measured).toBeLessThan(58);
  });
  it("a model that counts its MACs above the size-based estimate gets a smaller plan; one below it, or failing to count, the same plan", async () => {
    const model = mlpProbe();
    const built = instantiate(autoQuantizer({ plugins }), {});
    const o = { bits: 4, budgetSeconds: 0.05, maxCandidates: 72, inputRange: [0, 1] as [number, number] };
    const candidates = Array.from({ length: 58 }, (_, i) => ({ label: String(i), instance: built, spec: 0, bits: 4, quantizer: "rtn", options: {}, costly: false }));
    const withMacs = (macs: () => Promise<number>): ModelProbe => ({ ...model, forward: { ...model.forward!, macsPerSample: macs } });
    const plain = await planFor(model, model.weights, candidates, o);
    // The mlp's size-based estimate is Σ sizes (no rank-3 tensors): ~1e5 units per sample.
    const heavy = await planFor(
      withMacs(async () => 1e9),
      model.weights,
      candidates,
      o,
    );
    expect(heavy.samples * Math.max(1, heavy.measured)).toBeLessThan(plain.samples * Math.max(1, plain.measured));
    expect(heavy.seconds).toBeGreaterThan(0);
    expect(
      await planFor(
        withMacs(async () => 1),
        model.weights,
        candidates,
        o,
      ),
    ).toEqual(plain);
    expect(
      await planFor(
        withMacs(() => Promise.reject(new Error("no profile"))),
        model.weights,
        candidates,
        o,
      ),
    ).toEqual(plain);
  });
  it("warns when even the smallest plan is over the budget", async () => {
    const { d } = await run({ bits: 4, budgetSeconds: 1e-7 }, mlpProbe());
    expect(d.items.find((x) => x.ruleId === "budget-seconds")?.message).toMatch(/above budgetSeconds 1e-7; it runs anyway/);
  });
  it("spends ≥ 97 % of the bit budget or says why", async () => {
    const model = mlpProbe();
    const count = model.weights.reduce((a, t) => a + t.data.length, 0);
    for (const bits of [3, 4, 6]) {
      for (const budgetSeconds of [0.004, 25]) {
        const { qm, d } = await run({ bits, budgetSeconds }, model);
        const spent = codedBits(qm) / (bits * count);
        expect(spent).toBeLessThanOrEqual(1);
        if (spent < 0.97) expect(summary(d)).toMatch(/Spent \d+\.\d % of the budget: /);
        else expect(summary(d)).not.toMatch(/Spent/);
      }
    }
  });
});
