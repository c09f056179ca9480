import { test as fcTest, fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { isDistribution, meanKlDivergence, meanKlRatio, relativeError, softmaxRows, storedSoftmaxRows, top1Agreement } from "./output.js";

describe("output metrics", () => {
  fcTest.prop([fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -50, max: 50 }), { minLength: 6, maxLength: 6 })])("softmax rows are distributions, and KL of a row with itself is 0 in both forms", (xs) => {
    const p = softmaxRows(Float32Array.from(xs), 2, 3);
    expect(isDistribution(p, 2, 3)).toBe(true);
    expect(meanKlDivergence(p, p, 2, 3, 1e-12)).toBe(0);
    expect(meanKlRatio(p, p, 2, 3)).toBe(0);
    expect(top1Agreement(p, p, 2, 3)).toBe(1);
  });
  it("the two KL forms agree to rounding and top-1 counts arg-max matches", () => {
    const p = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]),
      q = Float32Array.from([0.6, 0.3, 0.1, 0.1, 0.8, 0.1]);
    expect(meanKlRatio(p, q, 2, 3)).toBeCloseTo(meanKlDivergence(p, q, 2, 3, 1e-12), 12);
    expect(top1Agreement(p, q, 2, 3)).toBe(0.5);
    expect(top1Agreement(p, q, 0, 3)).toBe(1);
  });
  it("relative error is null, not infinite, for a zero reference", () => {
    expect(relativeError(Float32Array.from([0, 0]), Float32Array.from([0, 1]))).toMatchObject({ value: null });
    expect(relativeError(Float32Array.from([0, 0]), Float32Array.from([0, 0]))).toEqual({ value: 0 });
    expect(relativeError(Float32Array.from([3, 4]), Float32Array.from([3, 4.5])).value).toBeCloseTo(0.1, 12);
  });
});

describe("storedSoftmaxRows", () => {
  it("is softmaxRows up to the last float32 bit: rows of positive probabilities summing to 1", () => {
    const z = Float32Array.from([0.3, -1.2, 2.5, 0.01, 7, -3, 0, 0, 1e-3]);
    const a = storedSoftmaxRows(z, 3, 3),
      b = softmaxRows(z, 3, 3);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(2 ** -23 * b[i]!);
    for (let r = 0; r < 3; r++) expect(a[3 * r]! + a[3 * r + 1]! + a[3 * r + 2]!).toBeCloseTo(1, 6);
  });
});

describe("softmax rounding (the published digits depend on it)", () => {
  /** The textbook formulas, written out: the kernel must give exactly these float32 values. */
  function reference(z: Float32Array, count: number, classes: number, stored: boolean): Float32Array {
    const out = new Float32Array(z.length);
    for (let n = 0; n < count; n++) {
      const row = Array.from(z.subarray(n * classes, (n + 1) * classes));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) => (out[n * classes + c] = (stored ? Math.fround(v) : v) / s));
    }
    return out;
  }
  fcTest.prop([fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -80, max: 80 }), { minLength: 12, maxLength: 12 }), fc.constantFrom(1, 2, 3, 4, 6, 12)])("softmaxRows rounds once, storedSoftmaxRows twice", (xs, classes) => {
    const z = Float32Array.from(xs),
      count = 12 / classes;
    expect(softmaxRows(z, count, classes)).toEqual(reference(z, count, classes, false));
    expect(storedSoftmaxRows(z, count, classes)).toEqual(reference(z, count, classes, true));
  });
});
