import { test as fcTest, fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { accumulateStats, emptyStats, mergeStats, sqnrDb, sqnrMetrics } from "./sqnr-impl.js";

const f32 = (xs: number[]) => new Float32Array(xs);
const stats = (w: number[], d: number[]) => accumulateStats(emptyStats(), f32(w), f32(d));
const pairArb = fc
  .integer({ min: 1, max: 64 })
  .chain((n) =>
    fc.tuple(fc.float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.float32Array({ minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })),
  );

describe("sqnr statistics", () => {
  it("a hand-computed example: w = [1, 2, −2], ŵ = [1, 1.5, −1]", () => {
    const s = stats([1, 2, -2], [1, 1.5, -1]);
    expect(s).toEqual({ count: 3, signal: 9, noise: 1.25, maxAbs: 1 });
    const [mse, maxAbs, sqnr] = sqnrMetrics(s, "t");
    expect(mse).toEqual({ name: "mse", value: 1.25 / 3, tensor: "t" });
    expect(maxAbs).toEqual({ name: "maxAbsError", value: 1, tensor: "t" });
    expect(sqnr).toEqual({ name: "sqnrDb", value: 10 * Math.log10(9 / 1.25), unit: "dB", tensor: "t" });
  });

  it("exact reconstruction: sqnrDb null with exact: true and a reason (never Infinity)", () => {
    const ms = sqnrMetrics(stats([0.5, -3], [0.5, -3]));
    expect(ms.find((m) => m.name === "sqnrDb")).toEqual({ name: "sqnrDb", value: null, unit: "dB", reason: "exact reconstruction", exact: true });
    expect(ms.find((m) => m.name === "mse")).toMatchObject({ value: 0, exact: true });
    expect(ms.find((m) => m.name === "maxAbsError")).toMatchObject({ value: 0, exact: true });
    expect(ms.every((m) => m.tensor === undefined)).toBe(true);
  });

  it('zero signal power with noise: null with reason "zero signal power", not divided by', () => {
    const ms = sqnrMetrics(stats([0, 0, 0], [0, 0.25, 0]));
    expect(ms.find((m) => m.name === "sqnrDb")).toEqual({ name: "sqnrDb", value: null, unit: "dB", reason: "zero signal power" });
    expect(ms.find((m) => m.name === "mse")!.value).toBeCloseTo(0.0625 / 3, 15);
  });

  it("an all-zero tensor decoded exactly is exact (zero signal, zero noise)", () => {
    expect(sqnrDb(stats([0, 0], [0, 0]))).toEqual({ value: null, reason: "exact reconstruction", exact: true });
  });

  it("an empty tensor has no metrics values, each with a reason", () => {
    for (const m of sqnrMetrics(emptyStats(), "e")) expect(m).toMatchObject({ value: null, reason: "empty tensor", tensor: "e" });
  });

  it("accumulates in float64: 10^6 terms agree with a compensated sum where float32 would drift", () => {
    const n = 1_000_000;
    const w = new Float32Array(n),
      d = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      w[i] = Math.sin(i) * 0.3;
      d[i] = w[i]! + Math.cos(i * 7) * 1e-3;
    }
    const s = accumulateStats(emptyStats(), w, d);
    // Neumaier-compensated float64 sum and a float32 running sum of the same terms.
    let sum = 0,
      comp = 0,
      f = 0;
    for (let i = 0; i < n; i++) {
      const t = (w[i]! - d[i]!) ** 2;
      const u = sum + t;
      comp += Math.abs(sum) >= Math.abs(t) ? sum - u + t : t - u + sum;
      sum = u;
      f = Math.fround(f + t);
    }
    const exact = sum + comp;
    expect(Math.abs(s.noise - exact) / exact).toBeLessThan(1e-10);
    expect(Math.abs(f - exact) / exact).toBeGreaterThan(1e-5); // what a float32 accumulator would lose
  });

  fcTest.prop([pairArb])("matches a straightforward float64 reduction; mse and maxAbsError are symmetric", ([a, b]) => {
    const w = new Float32Array(a),
      d = new Float32Array(b);
    const s = accumulateStats(emptyStats(), w, d);
    let signal = 0,
      noise = 0,
      maxAbs = 0;
    w.forEach((v, i) => {
      signal += v * v;
      noise += (v - d[i]!) ** 2;
      maxAbs = Math.max(maxAbs, Math.abs(v - d[i]!));
    });
    expect(s).toEqual({ count: w.length, signal, noise, maxAbs });
    const r = accumulateStats(emptyStats(), d, w);
    expect([r.noise, r.maxAbs]).toEqual([s.noise, s.maxAbs]);
    for (const m of sqnrMetrics(s)) expect(m.value === null || Number.isFinite(m.value)).toBe(true);
  });

  fcTest.prop([pairArb, fc.integer({ min: -20, max: 20 })])("SQNR is invariant to scaling both by a power of two", ([a, b], k) => {
    const w = new Float32Array(a),
      d = new Float32Array(b);
    const ws = w.map((v) => v * 2 ** k),
      ds = d.map((v) => v * 2 ** k);
    fc.pre(ws.every((v, i) => v / 2 ** k === w[i]) && ds.every((v, i) => v / 2 ** k === d[i])); // no under/overflow
    const x = sqnrDb(accumulateStats(emptyStats(), w, d)),
      y = sqnrDb(accumulateStats(emptyStats(), ws, ds));
    if (x.value === null) expect(y).toEqual(x);
    else expect(y.value!).toBeCloseTo(x.value, 9);
  });

  it("merging per-tensor statistics equals accumulating the concatenation", () => {
    const a = stats([1, -2, 3], [1.1, -2, 2.5]),
      b = stats([0.25, 8], [0, 8.5]);
    const all = stats([1, -2, 3, 0.25, 8], [1.1, -2, 2.5, 0, 8.5]);
    const m = mergeStats(mergeStats(emptyStats(), a), b);
    expect(m.count).toBe(all.count);
    expect(m.maxAbs).toBe(all.maxAbs);
    expect(m.signal).toBeCloseTo(all.signal, 12);
    expect(m.noise).toBeCloseTo(all.noise, 12);
  });
});
