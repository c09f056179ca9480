import { describe, expect, it } from "vitest";
import { Rng, groupIndexMap, type Grouping } from "@quantforge/core";
import { gptqLayer, roundToGrid } from "./gptq-impl.js";

describe("roundToGrid", () => {
  const cases: { name: string; shape: [number, number]; grouping: Grouping; scheme: "asymmetric" | "symmetric"; zero: "exact" | "free"; bits: number }[] = [
    { name: "per tensor, asymmetric free, 2 bits", shape: [30, 7], grouping: { kind: "tensor" }, scheme: "asymmetric", zero: "free", bits: 2 },
    { name: "per output channel, exact zero, 3 bits", shape: [30, 7], grouping: { kind: "channel", axis: 1 }, scheme: "asymmetric", zero: "exact", bits: 3 },
    { name: "per input row, symmetric, 4 bits", shape: [9, 16], grouping: { kind: "channel", axis: 0 }, scheme: "symmetric", zero: "exact", bits: 4 },
    { name: "groups of 5 (ragged), 8 bits", shape: [13, 11], grouping: { kind: "group", size: 5 }, scheme: "asymmetric", zero: "exact", bits: 8 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`gives exactly gptqLayer's codes and grids with H = I: ${c.name}`, () => {
      const rng = new Rng(20 + i);
      const [k, n] = c.shape;
      // Laplacian-ish values with exact zeros and signed zeros, which decide ties in the grid fit.
      const w = Float32Array.from({ length: k * n }, (_, j) => (j % 17 === 0 ? (j % 2 ? -0 : 0) : rng.normal() * Math.abs(rng.normal())));
      const groups = groupIndexMap(c.shape, c.grouping);
      const groupCount = Math.max(...groups) + 1;
      const h = new Float64Array(k * k);
      for (let j = 0; j < k; j++) h[j * k + j] = 1;
      const spec = { bits: c.bits, scheme: c.scheme, zero: c.zero };
      const ref = gptqLayer({ w, k, n, h, groups, groupCount, spec, dampening: 0.01, actOrder: false, blockSize: 4 });
      if (!ref.ok) throw new Error("not PD");
      const got = roundToGrid({ w, groups, groupCount, spec });
      expect([...got.codes]).toEqual([...ref.codes]);
      expect([...got.scale]).toEqual([...ref.scale]);
      expect([...got.zeroPoint]).toEqual([...ref.zeroPoint]);
      expect(got.levels).toBe(ref.levels);
    });
  }

  it("gives groups without elements gptqLayer's neutral grid", () => {
    const spec = { bits: 3, scheme: "symmetric" as const, zero: "exact" as const };
    const got = roundToGrid({ w: Float32Array.of(0.5, -1), groups: Int32Array.of(0, 0), groupCount: 2, spec });
    expect(got.scale[1]).toBe(1);
    expect(got.zeroPoint[1]).toBe(3);
  });
});
