import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { FLOAT32_MIN_SUBNORMAL, float32DataArb } from "@quantforge/core/testing";
import { absMax, log2Levels, log2Quantize, magnitudeCount, topExponent, type Log2Params } from "./log2-impl.js";

const paramsArb: fc.Arbitrary<Log2Params> = fc.record({
  bits: fc.integer({ min: 2, max: 8 }),
  base: fc.constantFrom(2 as const, "sqrt2" as const),
  scale: fc.constantFrom("pow2" as const, "absmax" as const),
  rounding: fc.constantFrom("nearest" as const, "log" as const),
});
// Any finite float32 values, including ±3.4e38, subnormals and −0.
const dataArb = fc.integer({ min: 1, max: 200 }).chain((n) => float32DataArb(n));

describe("log2Levels", () => {
  it("are 2^b − 1 ascending levels: ±top·2^−j and 0 in the middle", () => {
    expect(Array.from(log2Levels(1, 3, 2))).toEqual([-1, -0.5, -0.25, 0, 0.25, 0.5, 1]);
    expect(Array.from(log2Levels(2, 2, 2))).toEqual([-2, 0, 2]);
    const r2 = log2Levels(1, 3, "sqrt2");
    expect(r2[6]).toBe(1);
    expect(r2[5]).toBe(Math.fround(Math.SQRT1_2));
    expect(r2[4]).toBe(0.5);
  });
  it("store an underflowing level as +0, never −0", () => {
    const lv = log2Levels(FLOAT32_MIN_SUBNORMAL, 4, 2);
    expect(lv.length).toBe(15);
    for (const v of lv) expect(Object.is(v, -0)).toBe(false);
  });
});

describe("topExponent", () => {
  it("puts m in the cell of the nearest power (midpoints ¾·2^F and 1½·2^F)", () => {
    expect(topExponent(1, 2, "nearest")).toBe(0);
    expect(topExponent(0.75, 2, "nearest")).toBe(0);
    expect(topExponent(0.7499, 2, "nearest")).toBe(-1);
    expect(topExponent(1.4999, 2, "nearest")).toBe(0);
    expect(topExponent(1.5, 2, "nearest")).toBe(1);
  });
  it("rounds log2 m in the log domain (cell edges √2·2^F)", () => {
    expect(topExponent(1.41, 2, "log")).toBe(0);
    expect(topExponent(1.42, 2, "log")).toBe(1);
    expect(topExponent(0.71, 2, "log")).toBe(0);
    expect(topExponent(0.7, 2, "log")).toBe(-1);
  });
  it("clamps to finite float32 powers", () => {
    expect(topExponent(3.4e38, 2, "nearest")).toBe(127);
    expect(topExponent(3.4e38, "sqrt2", "nearest")).toBe(255);
    expect(topExponent(FLOAT32_MIN_SUBNORMAL, 2, "log")).toBe(-149);
  });
});

describe("log2Quantize", () => {
  it("the paper's example: 4-bit base-2 log rounding of a few values", () => {
    const r = log2Quantize(Float32Array.of(1, 0.3, -0.1, 0.004, 0), { bits: 4, base: 2, scale: "pow2", rounding: "log" });
    const q = Array.from(r.codes, (c) => r.levels[c]);
    // round(log2 0.3) = −2 → 0.25; round(log2 0.1) = −3 → 0.125; 0.004 is below 2^−6/2 → 0.
    expect(q).toEqual([1, 0.25, -0.125, 0, 0]);
    expect(r.underflow).toBe(1);
  });

  test.prop([dataArb, paramsArb])("codes index levels; the sign is kept; |x̂| ≤ top", (data, p) => {
    const r = log2Quantize(data, p);
    expect(r.levels.length).toBe(2 * magnitudeCount(p.bits) + 1);
    for (let i = 0; i < data.length; i++) {
      const v = r.levels[r.codes[i]!]!;
      expect(v === 0 || Math.sign(v) === Math.sign(data[i]!)).toBe(true);
      expect(Math.abs(v)).toBeLessThanOrEqual(r.top);
    }
  });

  it("is idempotent where subnormal rounding of the √2 levels lifts the top threshold above max |x| (a CI counterexample)", () => {
    for (const bits of [3, 5, 8]) {
      const p: Log2Params = { bits, base: "sqrt2", scale: "pow2", rounding: "log" };
      const r = log2Quantize(Float32Array.from([-3.783505853677006e-44]), p);
      const again = log2Quantize(
        Float32Array.from(r.codes, (c) => r.levels[c]!),
        p,
      );
      expect(again.levels).toEqual(r.levels);
      expect(again.codes).toEqual(r.codes);
      // max |x| decodes to the top level it chose.
      expect(Math.abs(r.levels[r.codes[0]!]!)).toBe(r.top);
    }
  });

  it("gives equal levels one code (3·2^−149 at 3 bits: two √2 slots round to 2·2^−149), so it stays idempotent", () => {
    const m = Math.fround(3 * FLOAT32_MIN_SUBNORMAL);
    for (const scale of ["pow2", "absmax"] as const) {
      for (const rounding of ["nearest", "log"] as const) {
        const p: Log2Params = { bits: 3, base: "sqrt2", scale, rounding };
        const r = log2Quantize(Float32Array.of(m, m * 0.5, -m * 0.3), p);
        expect(new Set(r.levels).size).toBeLessThan(r.levels.length);
        const again = log2Quantize(
          Float32Array.from(r.codes, (c) => r.levels[c]!),
          p,
        );
        expect(again.codes).toEqual(r.codes);
      }
    }
  });

  test.prop([dataArb, paramsArb])("idempotent: quantizing the reconstruction gives the same levels and codes", (data, p) => {
    const r = log2Quantize(data, p);
    const rec = Float32Array.from(r.codes, (c) => r.levels[c]!);
    const again = log2Quantize(rec, p);
    expect(again.levels).toEqual(r.levels);
    expect(again.codes).toEqual(r.codes);
  });

  test.prop([dataArb, fc.integer({ min: 2, max: 8 }), fc.constantFrom(2 as const, "sqrt2" as const), fc.constantFrom("pow2" as const, "absmax" as const)])(
    "nearest rounding picks a level at least as close as any other (least squared error for these levels)",
    (data, bits, base, scale) => {
      const r = log2Quantize(data, { bits, base, scale, rounding: "nearest" });
      const worse: number[] = [];
      for (let i = 0; i < data.length; i++) {
        const err = Math.abs(data[i]! - r.levels[r.codes[i]!]!);
        let best = Infinity;
        for (const l of r.levels) best = Math.min(best, Math.abs(data[i]! - l));
        if (err > best * (1 + 1e-12)) worse.push(data[i]!);
      }
      expect(worse).toEqual([]);
    },
  );

  test.prop([dataArb, paramsArb])("relative error within the top decade is bounded by the level spacing", (data, p) => {
    const r = log2Quantize(data, p);
    const B = p.base === 2 ? 2 : Math.SQRT2;
    const smallest = r.top * B ** -(magnitudeCount(p.bits) - 1);
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]!);
      if (a < smallest || a > r.top) continue;
      // Inside [smallest, top] every value lies between two levels a factor B apart.
      const v = Math.abs(r.levels[r.codes[i]!]!);
      expect(v / a).toBeGreaterThanOrEqual(1 / B - 1e-6);
      expect(v / a).toBeLessThanOrEqual(B + 1e-6);
    }
  });

  it("beats a uniform grid of the same bit width on heavy-tailed weights in relative error of small weights", () => {
    // Log levels spend resolution near zero, where Laplacian weights concentrate.
    const n = 4096;
    const data = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const u = s / 2 ** 32 - 0.5;
      data[i] = -Math.sign(u) * 0.05 * Math.log(1 - 2 * Math.abs(u));
    }
    const r = log2Quantize(data, { bits: 4, base: 2, scale: "absmax", rounding: "nearest" });
    const m = absMax(data);
    const step = (2 * m) / 14;
    let relLog = 0,
      relUni = 0,
      count = 0;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(data[i]!);
      if (a < m / 64 || a > m / 4) continue;
      count++;
      relLog += Math.abs(r.levels[r.codes[i]!]! - data[i]!) / a;
      relUni += Math.abs(Math.round(data[i]! / step) * step - data[i]!) / a;
    }
    expect(count).toBeGreaterThan(1000);
    expect(relLog / count).toBeLessThan(relUni / count);
  });
});
