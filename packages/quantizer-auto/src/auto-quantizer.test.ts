import { assertQuantizedModel, CollectingDiagnostics, createRunContext, dequantizeModel, instantiate, InvalidOptionsError, MissingCapabilityError, type ModelProbe, type QuantizedModel, type QuantizerPlugin, type WeightSet } from "@quantforge/core";
import { FidelityMeter, DEFAULT_FIDELITY_SETTINGS } from "@quantforge/evaluator-fidelity";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { describe, expect, it } from "vitest";
import { autoQuantizer, codedBits, DEFAULT_CANDIDATES, outputDistortion } from "./index.js";
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
        [rtnQuantizer(), { granularity: "group", groupSize: 32 }], [rtnQuantizer(), { granularity: "group", groupSize: 128 }],
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
  it("has per-group rtn candidates by default, within the default candidate cap", () => {
    expect(DEFAULT_CANDIDATES).toEqual([
      { quantizer: "rtn", options: { granularity: "channel", axis: -1, zero: "exact" } },
      { quantizer: "rtn", options: { granularity: "group", groupSize: 32, zero: "exact" } },
      { quantizer: "rtn", options: { granularity: "group", groupSize: 128, zero: "exact" } },
      { quantizer: "rtn", options: { granularity: "tensor", zero: "exact" } },
      { quantizer: "uniform-mse", options: { granularity: "channel", axis: -1, midtread: true } },
      { quantizer: "uniform-mse", options: { granularity: "tensor" } },
    ]);
    // 6 specs × 7 widths = 42 candidates fit the default cap (48); one fewer than 42 is rejected.
    expect(instantiate(autoQuantizer({ plugins }), {}).id).toBe("auto");
    expect(() => instantiate(autoQuantizer({ plugins }), { maxCandidates: 41 })).toThrow(/42 candidates/);
    expect(instantiate(autoQuantizer({ plugins }), { maxCandidates: 42 }).id).toBe("auto");
  });
  it("picks per-group rtn for a kernel whose outliers sit in every output channel but few input rows", async () => {
    // [in=64, out=8]: every output column has one outlier, all in input rows 0–7, so per channel
    // gets a coarse grid everywhere while groups of 32 (4 input rows each) are coarse only in the first 2.
    const r = (() => { let s = 7; return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32); })();
    const In = 64, Out = 8;
    const W = Float32Array.from({ length: In * Out }, () => (r() < 0.5 ? -1 : 1) * 1e-4 * (0.2 + 1.6 * r()));
    for (let c = 0; c < Out; c++) W[c * Out + c] = c % 2 ? 0.5 : -0.45;
    const weights: WeightSet = [{ name: "k", shape: [In, Out], data: W, role: "weight" }];
    const predictOutputs = async (ws: WeightSet, x: Float32Array, n: number) => {
      const K = ws[0]!.data, y = new Float32Array(n * Out);
      // Rows 0–7 see inputs 1e-3 × smaller, so the output is carried by the ≈ 1e-4 weights.
      for (let i = 0; i < n; i++) for (let j = 0; j < In; j++) for (let c = 0; c < Out; c++) y[i * Out + c] += (j < 8 ? 1e-3 : 1) * (x[i * In + j]! - 0.5) * K[j * Out + c]!;
      return [{ name: "y", shape: [Out], data: y }];
    };
    const model: ModelProbe = { id: "rows", weights, inputShape: [In], forward: { predict: async (ws, x, n) => (await predictOutputs(ws, x, n))[0]!.data, predictOutputs } };
    // A budget that affords every 8-bit candidate with its scales: auto takes the lowest output error.
    const diagnostics = new CollectingDiagnostics();
    const qm = await quantize(autoQuantizer({ plugins }), { bits: 12, candidateBits: [8], samples: 8 }, model, diagnostics);
    const choice = diagnostics.items.find((d) => d.ruleId === "choice")!;
    expect(choice.message).toMatch(/granularity=group/);
    const ch = await quantize(rtnQuantizer(), { bits: 8, granularity: "channel", axis: -1 }, model);
    expect(await distortion(model, qm)).toBeLessThan(await distortion(model, ch));
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
