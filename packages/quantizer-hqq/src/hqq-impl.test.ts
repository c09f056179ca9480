import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { float32DataArb } from "@quantforge/core/testing";
import { hqqQuantize, shrinkLp, type HqqSpec } from "./hqq-impl.js";

const spec: HqqSpec = { bits: 4, iterations: 20, p: 0.7, beta: 10, kappa: 1.01, earlyStop: true };
const dataArb = fc
  .integer({ min: 1, max: 300 })
  .chain((len) => float32DataArb(len))
  .map((d) => d.map((v) => (Math.abs(v) < 1e-30 ? 0 : v)));

function meanAbs(data: Float32Array, r: ReturnType<typeof hqqQuantize>, g: number): number {
  let e = 0;
  for (let i = 0; i < data.length; i++) {
    const k = (i / g) | 0;
    e += Math.abs(data[i]! - Math.fround((r.codes[i]! - r.zeroPoint[k]!) * r.scale[k]!));
  }
  return e / data.length;
}

describe("shrinkLp", () => {
  it("is soft-thresholding at 1/β for p = 1 and shrinks large errors less for p < 1", () => {
    expect(shrinkLp(0.5, 10, 1)).toBeCloseTo(0.4, 12);
    expect(shrinkLp(-0.05, 10, 1)).toBe(0);
    // p < 1: threshold |x|^(p−1)/β falls as |x| grows — outliers pass nearly unshrunk.
    expect(10 - shrinkLp(10, 10, 0.7)).toBeLessThan(0.5 - shrinkLp(0.5, 10, 0.7));
    expect(shrinkLp(0, 10, 0.7)).toBe(0);
  });
  test.prop([fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0.1, max: 1e4 }), fc.double({ min: 0.05, max: 1 })])("never grows or flips the error", (x, b, p) => {
    const y = shrinkLp(x, b, p);
    expect(Math.abs(y)).toBeLessThanOrEqual(Math.abs(x));
    expect(y * x).toBeGreaterThanOrEqual(0);
  });
});

describe("hqqQuantize", () => {
  test.prop([dataArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 80 })])("codes in range; mean |error| never above the min/max start's (0 steps)", (data, bits, g) => {
    const r = hqqQuantize(data, g, { ...spec, bits });
    const r0 = hqqQuantize(data, g, { ...spec, bits, iterations: 0 });
    expect(r.codes.every((q) => q < r.levels)).toBe(true);
    expect(meanAbs(data, r, g)).toBeLessThanOrEqual(meanAbs(data, r0, g) * (1 + 1e-12));
  });

  it("moves the zero point off the min/max start on Gaussian groups with an outlier", () => {
    const data = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i * 12.9898) * 0.1 + (i === 5 ? 2 : 0));
    const r = hqqQuantize(data, 64, spec),
      r0 = hqqQuantize(data, 64, { ...spec, iterations: 0 });
    expect(r.steps).toBeGreaterThan(0);
    expect([...r.zeroPoint]).not.toEqual([...r0.zeroPoint]);
    expect(meanAbs(data, r, 64)).toBeLessThan(meanAbs(data, r0, 64));
  });

  it("stores constant groups exactly", () => {
    const r = hqqQuantize(Float32Array.of(0.75, 0.75, -2, -2), 2, spec);
    expect([...r.codes].map((q, i) => Math.fround((q - r.zeroPoint[i >> 1]!) * r.scale[i >> 1]!))).toEqual([0.75, 0.75, -2, -2]);
  });
});
