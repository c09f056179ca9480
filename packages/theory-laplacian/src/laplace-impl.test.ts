import { describe, expect, it } from "vitest";
import { cellBias, cellSq, centralSq, geomMomentSum, geomSum } from "./laplace-impl.js";

// Naive closed forms: exact enough for s ≳ 0.5, where they serve as the reference.
const naiveCell = (s: number) => s * s - 2 * s + 2 - Math.exp(-2 * s) * (s * s + 2 * s + 2);
const naiveCentral = (s: number) => 2 - Math.exp(-s) * (s * s + 2 * s + 2);
const naiveBias = (s: number) => s - 1 + Math.exp(-2 * s) * (1 + s);

describe("cell integrals", () => {
  it("series agree with the closed forms where those are accurate", () => {
    for (const s of [0.6, 1, 1.5, 1.999, 2, 2.001, 3, 3.999, 4.001, 7]) {
      expect(Math.abs(cellSq(s) - naiveCell(s)) / naiveCell(s)).toBeLessThan(1e-14);
      expect(Math.abs(centralSq(s) - naiveCentral(s)) / naiveCentral(s)).toBeLessThan(1e-14);
      expect(Math.abs(cellBias(s) - naiveBias(s)) / naiveBias(s)).toBeLessThan(1e-14);
    }
  });
  it("keep their leading small-s behaviour (t³/12 per cell) where the closed forms cancel", () => {
    // Leading terms of the series: cellSq = (2s³/3)·e^(−s)(1 + 3s²/10 + …), centralSq =
    // (s³/3)·e^(−s)(1 + s/4 + s²/20 + …), cellBias = (2s³/3)·e^(−s)(1 + s²/10 + …).
    for (const s of [1e-3, 1e-6, 1e-10]) {
      expect(cellSq(s) / ((2 * s ** 3) / 3)).toBeCloseTo(Math.exp(-s) * (1 + (3 * s * s) / 10), 12);
      expect(centralSq(s) / (s ** 3 / 3)).toBeCloseTo(Math.exp(-s) * (1 + s / 4 + (s * s) / 20), 10);
      expect(cellBias(s) / ((2 * s ** 3) / 3)).toBeCloseTo(Math.exp(-s) * (1 + (s * s) / 10), 12);
    }
  });
});

describe("geometric sums", () => {
  it("closed forms equal direct sums across the 32-term switch", () => {
    for (const t of [1e-4, 0.01, 0.3, 2]) {
      for (const K of [0, 1, 2, 31, 32, 33, 200, 5000]) {
        let s0 = 0,
          s1 = 0;
        for (let i = 0; i < K; i++) {
          s0 += Math.exp(-i * t);
          s1 += i * Math.exp(-i * t);
        }
        expect(Math.abs(geomSum(K, t) - s0)).toBeLessThanOrEqual(1e-12 * s0);
        expect(Math.abs(geomMomentSum(K, t) - s1)).toBeLessThanOrEqual(1e-11 * s1);
      }
    }
  });
});
