import { describe, expect, it } from "vitest";
import { argmaxRows as topClasses, matchShare as top1Accuracy, matchShare as top1Agreement, meanKlDivergence } from "./output.js";

describe("accuracy metrics", () => {
  const p = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.5, 0.5, 0]);
  it("top-1 with first-index ties, accuracy and agreement", () => {
    const t = topClasses(p, 3, 3);
    expect([...t]).toEqual([0, 2, 0]);
    expect(top1Accuracy(t, Int32Array.from([0, 1, 0]), 3)).toBeCloseTo(2 / 3, 12);
    expect(top1Agreement(t, Int32Array.from([0, 2, 1]), 3)).toBeCloseTo(2 / 3, 12);
    expect(top1Accuracy(t, new Int32Array(0), 0)).toBe(0);
  });
  it("KL is 0 for identical outputs, matches the formula, and is finite when q underflows to 0", () => {
    expect(meanKlDivergence(p, p, 3, 3, 1e-12)).toBe(0);
    const q = Float32Array.from([0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.5, 0.5, 0]);
    const want = (0.7 * Math.log(Math.fround(0.7) / Math.fround(0.6)) + 0.2 * Math.log(Math.fround(0.2) / Math.fround(0.3))) / 3;
    expect(meanKlDivergence(p, q, 3, 3, 1e-12)).toBeCloseTo(want, 7);
    const z = Float32Array.from([1, 0, 0, 0.1, 0.1, 0.8, 0.5, 0.5, 0]);
    const k = meanKlDivergence(p, z, 3, 3, 1e-12);
    expect(Number.isFinite(k)).toBe(true);
    // 0.2·ln(0.2/1e-12) + 0.1·ln(0.1/1e-12) + 0.7·ln 0.7 dominate the first row.
    expect(k).toBeCloseTo((Math.fround(0.7) * Math.log(Math.fround(0.7)) + Math.fround(0.2) * Math.log(Math.fround(0.2) / 1e-12) + Math.fround(0.1) * Math.log(Math.fround(0.1) / 1e-12)) / 3, 5);
    // p = 0 terms contribute nothing, whatever q is.
    expect(meanKlDivergence(Float32Array.from([1, 0]), Float32Array.from([1, 0]), 1, 2, 1e-12)).toBe(0);
  });
});
