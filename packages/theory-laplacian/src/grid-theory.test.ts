import { dequantizeCodes, requantizeValues, Rng, type GridCodebook } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { combineGridTheoryStats, gridTheoryStats, laplacianDistortion, mismatchSqnrDb, optimalXMax, summarizeGridTheory } from "./index.js";

function grid(bits: number, sigma: number[], mu?: number[], midtread = false): GridCodebook {
  const N = midtread ? 2 ** bits - 1 : 2 ** bits;
  return {
    kind: "grid",
    id: "t",
    levels: N,
    xMax: Math.fround(optimalXMax(bits, { midtread })),
    midtread,
    sigma: Float32Array.from(sigma),
    mu: Float32Array.from(mu ?? sigma.map(() => 0)),
  };
}
function roundTrip(cb: GridCodebook, x: Float32Array, groups: Int32Array | null = null): Float32Array {
  const codes = new Uint32Array(x.length),
    out = new Float32Array(x.length);
  requantizeValues(cb, x, groups, codes);
  dequantizeCodes(cb, codes, groups, out);
  return out;
}
function laplace(n: number, sigma: number, seed: number, mean = 0): Float32Array {
  const rng = new Rng(seed),
    x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = mean + rng.laplace(sigma);
  return x;
}
const rmsOf = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const stdOf = (x: Float32Array, m: number) => Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / x.length);

describe("gridTheoryStats", () => {
  it("matched mode (σ_g = RMS) gives the design SQNR; measured agrees at low R", () => {
    const x = laplace(400_000, 0.05, 1);
    for (const bits of [2, 3]) {
      const cb = grid(bits, [Math.fround(rmsOf(x))]);
      const s = summarizeGridTheory(gridTheoryStats({ original: x, decoded: roundTrip(cb, x), codebook: cb, groups: null }));
      expect(s.sqnrTheoryDb.value!).toBeCloseTo(laplacianDistortion(2 ** bits, optimalXMax(bits)).sqnrDb, 5);
      expect(Math.abs(s.sqnrMeasuredDb.value! - s.sqnrTheoryDb.value!)).toBeLessThan(0.1);
      expect(s.sqnrGranularDb.value!).toBeGreaterThan(s.sqnrTheoryDb.value!);
    }
  });
  it("mismatched mode (σ_g = 1) gives paper 000's variance-mismatch SQNR at the tensor's RMS", () => {
    const x = laplace(100_000, 0.3, 2);
    const cb = { ...grid(6, [1]), sigmaSource: "design" };
    const s = summarizeGridTheory(gridTheoryStats({ original: x, codebook: cb, groups: null }));
    expect(s.sqnrTheoryDb.value!).toBeCloseTo(mismatchSqnrDb(6, rmsOf(x)), 3);
    expect(s.sqnrMeasuredDb).toEqual({ value: null, reason: "no decoded values" });
  });
  it("with a removed mean uses 10·log10((σ² + μ²)/(σ²·D))", () => {
    const mean = 0.2,
      x = laplace(50_000, 0.1, 3, mean);
    const m = x.reduce((a, v) => a + v, 0) / x.length,
      sd = stdOf(x, m);
    const cb = grid(4, [Math.fround(sd)], [Math.fround(m)]);
    const s = summarizeGridTheory(gridTheoryStats({ original: x, decoded: roundTrip(cb, x), codebook: cb, groups: null }));
    const D = laplacianDistortion(16, (16 * Math.fround((2 * cb.xMax) / 16)) / 2, stdOf(x, Math.fround(m)) / Math.fround(sd)).total;
    const power = x.reduce((a, v) => a + v * v, 0) / x.length;
    expect(s.sqnrTheoryDb.value!).toBeCloseTo(10 * Math.log10(power / (Math.fround(sd) ** 2 * D)), 9);
    expect(s.sqnrTheoryDb.value!).toBeGreaterThan(laplacianDistortion(16, cb.xMax).sqnrDb + 5); // μ² adds signal power
  });
  it("counts overload elements and their share of the measured error", () => {
    const x = laplace(10_000, 1, 4);
    x[17] = 40; // far beyond x_max ≈ 2.9σ at 3 bits
    const cb = grid(3, [Math.fround(rmsOf(x))]);
    const dec = roundTrip(cb, x);
    const st = gridTheoryStats({ original: x, decoded: dec, codebook: cb, groups: null });
    const xm = (8 * Math.fround((2 * cb.xMax) / 8)) / 2;
    let count = 0,
      over = 0,
      tot = 0;
    for (let i = 0; i < x.length; i++) {
      const e = (x[i]! - dec[i]!) ** 2;
      tot += e;
      if (Math.abs(x[i]!) / cb.sigma[0]! > xm) {
        count++;
        over += e;
      }
    }
    expect(st.overloadCount).toBe(count);
    expect(count).toBeGreaterThan(20);
    expect(summarizeGridTheory(st).overloadShare.value!).toBeCloseTo(over / tot, 12);
    expect(st.maxAbsOverSigma!).toBeCloseTo(40 / rmsOf(x), 4);
    expect(st.supportOverSigma!).toBeCloseTo((xm * cb.sigma[0]!) / rmsOf(x), 6);
    const s = summarizeGridTheory(st);
    // Leaving the overload error out recovers (roughly) the granular theory.
    expect(s.sqnrMeasuredGranularDb.value!).toBeGreaterThan(s.sqnrMeasuredDb.value!);
  });
  it("handles per-group parameters, all-zero groups (σ = 0) and sparse tensors without NaN", () => {
    const x = new Float32Array([0, 0, 0, 0, 0.5, -1, 2, 0.25]);
    const groups = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const cb = grid(3, [0, Math.fround(rmsOf(x.subarray(4)))]);
    const dec = roundTrip(cb, x, groups);
    expect(Array.from(dec.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    const st = gridTheoryStats({ original: x, decoded: dec, codebook: cb, groups });
    const one = gridTheoryStats({ original: x.slice(4), decoded: dec.slice(4), codebook: { ...cb, sigma: cb.sigma.slice(1), mu: cb.mu.slice(1) }, groups: null });
    expect(st.predictedError).toBeCloseTo(one.predictedError, 15);
    expect(st.signalEnergy).toBeCloseTo(one.signalEnergy, 15);
    const zeros = gridTheoryStats({ original: new Float32Array(5), decoded: new Float32Array(5), codebook: grid(3, [0]), groups: null });
    expect(summarizeGridTheory(zeros)).toMatchObject({ sqnrTheoryDb: { value: null, reason: "zero signal power" }, sqnrMeasuredDb: { value: null } });
    // Mismatched design on an all-zero tensor: midrise puts 0 on ±Δ/2, predicted exactly.
    const mis = gridTheoryStats({ original: new Float32Array(4).fill(0), codebook: grid(2, [1]), groups: null });
    expect(mis.predictedError).toBeCloseTo(4 * (Math.fround((2 * Math.fround(optimalXMax(2))) / 4) / 2) ** 2, 12);
    // Sparse: pruned elements contribute their w² to the predicted error.
    const full = laplace(1000, 1, 5);
    const positions = Uint32Array.from({ length: 500 }, (_, k) => 2 * k);
    const surv = Float32Array.from(positions, (p) => full[p]!);
    const cbs = grid(4, [Math.fround(rmsOf(surv))]);
    const sp = gridTheoryStats({ original: full, codebook: cbs, groups: null, positions });
    const dense = gridTheoryStats({ original: surv, codebook: cbs, groups: null });
    let prunedEnergy = 0;
    for (let k = 0; k < 500; k++) prunedEnergy += full[2 * k + 1]! ** 2;
    expect(sp.predictedError).toBeCloseTo(dense.predictedError + prunedEnergy, 9);
  });
  it("combines tensors additively", () => {
    const a = gridTheoryStats({ original: laplace(1000, 1, 6), codebook: grid(3, [1]), groups: null });
    const b = gridTheoryStats({ original: laplace(3000, 0.1, 7), codebook: grid(3, [0.1]), groups: null });
    const c = combineGridTheoryStats([a, b]);
    expect(c.count).toBe(4000);
    expect(c.predictedError).toBeCloseTo(a.predictedError + b.predictedError, 15);
    expect(c.measuredError).toBeNull();
    expect(c.maxAbsOverSigma).toBe(Math.max(a.maxAbsOverSigma!, b.maxAbsOverSigma!));
  });
});
