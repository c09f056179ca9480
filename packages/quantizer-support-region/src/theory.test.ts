import { describe, expect, it } from "vitest";
import { ErrorCodes, Rng, type WeightSet } from "@quantforge/core";
import { laplacianDistortion, optimalXMax } from "@quantforge/theory-laplacian";
import { centerScale, percentileSorted, sortedDeviations } from "./support-region-impl.js";
import { formatSupportRegionTheory, parseSupportList, supportRegionTheory } from "./theory.js";

function weights(): WeightSet {
  const r = new Rng(4);
  return [
    { name: "a", shape: [4000], data: Float32Array.from({ length: 4000 }, () => r.laplace(0.05) * (r.float() < 0.02 ? 6 : 1)) },
    { name: "b", shape: [1000], data: Float32Array.from({ length: 1000 }, () => 0.01 + r.laplace(0.1)) },
  ];
}

describe("supportRegionTheory", () => {
  it("gives the published 2-bit design for optimal: x_max ≈ 2.175σ, SQNR ≈ 7.07 dB, and exactly the four keys", () => {
    const rows = supportRegionTheory({ bits: [2], supports: ["optimal", "iterative", "sigma:2", "sigma:3"] });
    expect(rows.map((r) => Object.keys(r))).toEqual(Array(4).fill(["bits", "support", "xMaxSigma", "sqnrDb"]));
    expect(rows[0]!.xMaxSigma).toBeCloseTo(2.1748, 4);
    expect(rows[0]!.sqnrDb).toBeCloseTo(7.07, 2);
    expect(rows[1]!.xMaxSigma).toBeCloseTo(2.0016, 4);
    expect(rows.slice(2).map((r) => r.xMaxSigma)).toEqual([2, 3]);
    // §5: SQNR is flat within ~0.06 dB for x_max between 2.0σ and 2.3σ at 2 bits.
    for (const x of [2.0, 2.3]) expect(rows[0]!.sqnrDb - laplacianDistortion(4, x, 1).sqnrDb).toBeLessThan(0.07);
  });

  it("takes data-dependent choices on the weights together (global μ, σ, |w − μ|)", () => {
    const ws = weights();
    const parts = ws.map((t) => t.data);
    const st = centerScale(parts);
    const sigma = Math.fround(st.sigma);
    const rows = supportRegionTheory({ bits: [2, 3], supports: ["optimal", "max", "percentile:99.9", "value:0.2", "mse"], weights: ws });
    const at = (bits: number, support: string) => rows.find((r) => r.bits === bits && r.support === support)!;
    expect(at(2, "max").xMaxSigma).toBe(st.maxDev / sigma);
    expect(at(3, "percentile:99.9").xMaxSigma).toBe(percentileSorted(sortedDeviations(parts, st.mu, sigma), 99.9));
    expect(at(2, "value:0.2").xMaxSigma).toBe(0.2 / sigma);
    for (const bits of [2, 3]) {
      // The optimal design maximises the theoretical SQNR; every other support is at most equal.
      for (const r of rows.filter((x) => x.bits === bits)) expect(r.sqnrDb).toBeLessThanOrEqual(at(bits, "optimal").sqnrDb + 1e-12);
      expect(at(bits, "max").sqnrDb).toBeLessThan(at(bits, "optimal").sqnrDb - 3);
      expect(at(bits, "optimal").xMaxSigma).toBe(optimalXMax(bits));
    }
  });

  it("rejects data-dependent choices without weights, weights with σ = 0, and bad bit rates", () => {
    expect(() => supportRegionTheory({ bits: [2], supports: ["optimal", "max", "mse"] })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS, field: "weights", message: expect.stringContaining("max, mse") }));
    expect(() => supportRegionTheory({ bits: [2], supports: ["max"], weights: [{ name: "c", shape: [3], data: new Float32Array(3).fill(2) }] })).toThrow(/σ = 0/);
    expect(() => supportRegionTheory({ bits: [2], supports: ["mse"], weights: [{ name: "n", shape: [2], data: Float32Array.of(1, NaN) }] })).toThrow(expect.objectContaining({ code: ErrorCodes.NON_FINITE }));
    expect(() => supportRegionTheory({ bits: [0], supports: ["optimal"] })).toThrow(expect.objectContaining({ field: "bits" }));
    expect(() => supportRegionTheory({ bits: [], supports: ["optimal"] })).toThrow(expect.objectContaining({ field: "bits" }));
    expect(() => supportRegionTheory({ bits: [2], supports: ["best"] })).toThrow(expect.objectContaining({ field: "support" }));
  });

  it("formats a readable table and parses support lists", () => {
    expect(parseSupportList("optimal, sigma:3,percentile:99.9")).toEqual(["optimal", "sigma:3", "percentile:99.9"]);
    expect(() => parseSupportList("optimal,,max")).toThrow(expect.objectContaining({ field: "support" }));
    const text = formatSupportRegionTheory(supportRegionTheory({ bits: [2], supports: ["optimal"] }));
    expect(text).toMatch(/bits\s+support\s+x_max\/σ\s+SQNR \(dB\)/);
    expect(text).toMatch(/2\s+optimal\s+2\.1748\s+7\.071/);
  });
});
