import { describe, expect, it } from "vitest";
import { ErrorCodes } from "@quantforge/core";
import { DEFAULT_SYNTH_SPEC, parseDistribution, parseTensorSpec, synthesizeWeights } from "./synth.js";

function moments(d: Float32Array): { mean: number; variance: number; kurtosis: number } {
  let s = 0;
  for (const v of d) s += v;
  const mean = s / d.length;
  let m2 = 0,
    m4 = 0;
  for (const v of d) {
    const c = v - mean;
    m2 += c * c;
    m4 += c * c * c * c;
  }
  m2 /= d.length;
  m4 /= d.length;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2) };
}

describe("parseTensorSpec", () => {
  it("parses names, shapes and σ (default 0.05)", () => {
    expect(parseTensorSpec("fc1:300x784:0.04, fc2/kernel:100x300")).toEqual([
      { name: "fc1", shape: [300, 784], sigma: 0.04 },
      { name: "fc2/kernel", shape: [100, 300], sigma: 0.05 },
    ]);
  });
  it.each(["", "fc1", "fc1:0x3", "fc1:3xa", "fc1:3:0", "fc1:3:-1", "a:2,a:3", ":3", "a:2:1:1", "big:100000x100000"])("rejects %j with QF_USAGE", (spec) => {
    expect(() => parseTensorSpec(spec)).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
  it("parseDistribution accepts laplace and gauss only", () => {
    expect(parseDistribution(undefined)).toBe("laplace");
    expect(parseDistribution("gauss")).toBe("gauss");
    expect(() => parseDistribution("uniform")).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
});

describe("synthesizeWeights", () => {
  it("the default spec has a 1,000,000-weight tensor and several scales", () => {
    expect(DEFAULT_SYNTH_SPEC.some((s) => s.shape.reduce((a, b) => a * b, 1) === 1_000_000)).toBe(true);
    expect(new Set(DEFAULT_SYNTH_SPEC.map((s) => s.sigma)).size).toBeGreaterThan(2);
  });
  it("is deterministic per seed and differs across seeds", () => {
    const spec = parseTensorSpec("a:64x64:0.1");
    const a = synthesizeWeights(spec, 3)[0]!.data;
    expect(synthesizeWeights(spec, 3)[0]!.data).toEqual(a);
    expect(synthesizeWeights(spec, 4)[0]!.data).not.toEqual(a);
  });
  it("a tensor's values do not depend on the other tensors in the spec", () => {
    const alone = synthesizeWeights(parseTensorSpec("b:50x20:0.3"), 9)[0]!.data;
    const withOthers = synthesizeWeights(parseTensorSpec("a:10:1,b:50x20:0.3,c:7:2"), 9)[1]!.data;
    expect(withOthers).toEqual(alone);
  });
  it("has the requested σ, and Laplacian (kurtosis 6) or Gaussian (kurtosis 3) tails", () => {
    const spec = parseTensorSpec("w:200000:0.2");
    const lap = moments(synthesizeWeights(spec, 1, "laplace")[0]!.data);
    const gau = moments(synthesizeWeights(spec, 1, "gauss")[0]!.data);
    // n = 2e5: the standard error of the variance is ≈ σ²·sqrt((κ−1)/n), ≈ 0.5 % (Laplace) / 0.3 %.
    expect(Math.abs(lap.variance / 0.04 - 1)).toBeLessThan(0.025);
    expect(Math.abs(gau.variance / 0.04 - 1)).toBeLessThan(0.015);
    expect(Math.abs(lap.mean)).toBeLessThan(0.005);
    expect(lap.kurtosis).toBeGreaterThan(5.4);
    expect(lap.kurtosis).toBeLessThan(6.6);
    expect(Math.abs(gau.kurtosis - 3)).toBeLessThan(0.1);
  });
});
