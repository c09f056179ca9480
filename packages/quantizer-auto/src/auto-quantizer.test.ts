import { assertQuantizedModel, CollectingDiagnostics, createRunContext, dequantizeModel, instantiate, InvalidOptionsError, MissingCapabilityError, type ModelProbe, type QuantizedModel, type QuantizerPlugin, type WeightSet } from "@quantforge/core";
import { FidelityMeter, DEFAULT_FIDELITY_SETTINGS } from "@quantforge/evaluator-fidelity";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { describe, expect, it } from "vitest";
import { autoQuantizer, codedBits, outputDistortion } from "./index.js";
import { mlpProbe } from "./probe.test-support.js";

const plugins: QuantizerPlugin[] = [rtnQuantizer(), uniformMseQuantizer()];

async function quantize(p: QuantizerPlugin, opts: Record<string, unknown>, model: ModelProbe, diagnostics = new CollectingDiagnostics()): Promise<QuantizedModel> {
  return instantiate(p, opts).quantize(model.weights, createRunContext({ seed: 1, model, diagnostics }));
}
async function distortion(model: ModelProbe, qm: QuantizedModel): Promise<number> {
  const meter = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, samples: 16 }, 1);
  return outputDistortion(await meter.measure(dequantizeModel(qm, model.weights) as WeightSet));
}
const count = (m: ModelProbe) => m.weights.reduce((a, t) => a + t.data.length, 0);

describe("auto quantizer", () => {
  it("meets the bit budget and beats every single candidate method that fits the same size", async () => {
    const model = mlpProbe();
    for (const bits of [3, 4, 8]) {
      const diagnostics = new CollectingDiagnostics();
      const qm = await quantize(autoQuantizer({ plugins }), { bits }, model, diagnostics);
      assertQuantizedModel(qm, model.weights);
      const rate = codedBits(qm);
      expect(rate).toBeLessThanOrEqual(bits * count(model));
      const dAuto = await distortion(model, qm);
      const singles = [
        [rtnQuantizer(), { granularity: "channel", axis: -1 }], [rtnQuantizer(), { granularity: "tensor" }],
        [uniformMseQuantizer(), { granularity: "channel", axis: -1, midtread: true }], [uniformMseQuantizer(), {}],
      ] as const;
      for (const [p, o] of singles) {
        for (const b of [2, 3, 4, 5, 6, 7, 8]) {
          const s = await quantize(p, { ...o, bits: b }, model);
          if (codedBits(s) > rate) continue;
          expect(dAuto).toBeLessThanOrEqual(await distortion(model, s));
        }
      }
      const summary = diagnostics.items.find((d) => d.ruleId === "summary")!;
      expect(summary.message).toMatch(/bits\/weight/);
    }
  });
  it("gives the fragile tensor more bits than the others", async () => {
    const model = mlpProbe({ gain: 100 });
    const qm = await quantize(autoQuantizer({ plugins }), { bits: 4 }, model);
    const per = (name: string) => {
      const t = qm.tensors.find((x) => x.name === name)!;
      return codedBits({ codebooks: qm.codebooks.filter((c) => c.id === t.codebook), tensors: [t] }) / t.codes.length;
    };
    expect(per("d2/kernel")).toBeGreaterThan(per("d1/kernel"));
  });
  it("is deterministic, uses a byte budget, and has unique codebook ids", async () => {
    const model = mlpProbe();
    const bytes = 600;
    const a = await quantize(autoQuantizer({ plugins }), { bytes }, model);
    const b = await quantize(autoQuantizer({ plugins }), { bytes }, model);
    expect(a).toEqual(b);
    expect(codedBits(a)).toBeLessThanOrEqual(8 * bytes);
    expect(new Set(a.codebooks.map((c) => c.id)).size).toBe(a.codebooks.length);
  });
  it("fails with typed errors: no forward pass, unknown or invalid candidates, too many candidates", async () => {
    const model = mlpProbe();
    await expect(quantize(autoQuantizer({ plugins }), {}, { id: "x", weights: model.weights })).rejects.toBeInstanceOf(MissingCapabilityError);
    expect(() => instantiate(autoQuantizer({ plugins }), { candidates: [{ quantizer: "nope" }] })).toThrow(InvalidOptionsError);
    expect(() => instantiate(autoQuantizer({ plugins }), { candidates: [{ quantizer: "rtn", options: { granularity: "diagonal" } }] })).toThrow(InvalidOptionsError);
    expect(() => instantiate(autoQuantizer({ plugins }), { maxCandidates: 3 })).toThrow(/maxCandidates/);
    expect(() => instantiate(autoQuantizer(), {})).toThrow(InvalidOptionsError);
    // A lazily given list may contain auto itself; it is never its own candidate.
    const self: QuantizerPlugin[] = [];
    const auto = autoQuantizer({ plugins: () => self });
    self.push(auto, ...plugins);
    expect(instantiate(auto, { candidates: [{ quantizer: "rtn" }] }).id).toBe("auto");
    expect(() => instantiate(auto, { candidates: [{ quantizer: "auto" }] })).toThrow(InvalidOptionsError);
  });
});
