import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { shapeSize } from "../tensor.js";
import { EDGE_KINDS, FLOAT32_MIN_NORMAL, bitWidthArb, edgeTensor, edgeTensorArb, finiteFloat32Arb, gaussianTensorArb, laplacianTensorArb, sampleTensor, shapeArb, weightSetArb, weightTensorArb } from "./arbitraries.js";

describe("arbitraries", () => {
  it("shapes respect their constraints", () => {
    fc.assert(
      fc.property(shapeArb(), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(4);
        expect(s.every((d) => Number.isInteger(d) && d >= 1 && d <= 8)).toBe(true);
        expect(shapeSize(s)).toBeLessThanOrEqual(256);
      }),
      { numRuns: 300, seed: 1 },
    );
    fc.assert(
      fc.property(shapeArb({ minDims: 2, maxDims: 2, maxSide: 100, maxSize: 50 }), (s) => {
        expect(s).toHaveLength(2);
        expect(shapeSize(s)).toBeLessThanOrEqual(50);
      }),
      { numRuns: 100, seed: 2 },
    );
  });

  it("tensors are finite float32 of their shape; weight sets have unique names", () => {
    fc.assert(
      fc.property(fc.oneof(weightTensorArb(), laplacianTensorArb(), gaussianTensorArb(), edgeTensorArb()), (t) => {
        expect(t.data).toBeInstanceOf(Float32Array);
        expect(t.data.length).toBe(shapeSize(t.shape));
        expect(t.data.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 300, seed: 3 },
    );
    fc.assert(
      fc.property(weightSetArb(), (ws) => {
        expect(ws.length).toBeGreaterThanOrEqual(1);
        expect(new Set(ws.map((t) => t.name)).size).toBe(ws.length);
      }),
      { numRuns: 100, seed: 4 },
    );
    fc.assert(
      fc.property(finiteFloat32Arb({ min: -2, max: 2 }), bitWidthArb(3, 5), (v, b) => {
        expect(Math.fround(v)).toBe(v);
        expect(Math.abs(v)).toBeLessThanOrEqual(2);
        expect(b >= 3 && b <= 5).toBe(true);
      }),
      { numRuns: 100, seed: 5 },
    );
  });

  it("edge tensors are what they claim", () => {
    const d = (k: (typeof EDGE_KINDS)[number]) => edgeTensor(k).data;
    expect(d("zeros").every((v) => v === 0)).toBe(true);
    expect(new Set(d("constant")).size).toBe(1);
    expect(Math.max(...d("large").map(Math.abs))).toBeGreaterThanOrEqual(3e38);
    expect(d("large").some((v) => v < -2.9e38) && d("large").some((v) => v > 2.9e38)).toBe(true);
    expect(d("subnormal").every((v) => v !== 0 && Math.abs(v) < FLOAT32_MIN_NORMAL)).toBe(true);
    expect(edgeTensor("single").data.length).toBe(1);
    expect(edgeTensor("single", { shape: [3, 4, 5] }).shape).toEqual([1, 1, 1]);
    expect(d("negative").every((v) => v < 0)).toBe(true);
    expect(d("positive").every((v) => v > 0)).toBe(true);
    const o = d("outlier");
    expect(Math.max(...o.map(Math.abs))).toBe(1000);
  });

  it("sampled tensors are deterministic and have roughly the requested spread", () => {
    const a = sampleTensor("x", [100, 100], { dist: "laplace", sigma: 0.5, seed: 3 });
    expect(sampleTensor("x", [100, 100], { dist: "laplace", sigma: 0.5, seed: 3 }).data).toEqual(a.data);
    for (const dist of ["laplace", "gaussian", "uniform"] as const) {
      const t = sampleTensor("x", [200, 100], { dist, sigma: 2, mean: 1, seed: 4 });
      const n = t.data.length;
      const m = t.data.reduce((s, v) => s + v, 0) / n;
      const v = t.data.reduce((s, x) => s + (x - m) ** 2, 0) / n;
      expect(Math.abs(m - 1)).toBeLessThan(0.1);
      expect(Math.abs(Math.sqrt(v) - 2)).toBeLessThan(0.1);
    }
  });
});
