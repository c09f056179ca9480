import { describe, expect, it } from "vitest";
import { FLT_MAX, GridFit, encodeGrid, gridLevels, roundHalfEven } from "./grid.js";

const out = new Float64Array(2);
const grid = (lo: number, hi: number, bits: number, scheme: "asymmetric" | "symmetric" = "asymmetric", zero: "exact" | "free" = "exact") => {
  const fit = encodeGrid(lo, hi, { bits, scheme, zero }, out);
  return { fit, s: out[0]!, z: out[1]! };
};

describe("encodeGrid", () => {
  it("asymmetric exact: 0 is the level of the integral zero point (tfjs-converter's nudge)", () => {
    const { fit, s, z } = grid(-1, 3, 2);
    expect(fit).toBe(GridFit.ok);
    expect(s).toBe(Math.fround(4 / 3));
    expect(z).toBe(1);
    expect(Math.fround((z - z) * s)).toBe(0);
  });

  it("asymmetric free starts the grid at the minimum; symmetric centres it", () => {
    const f = grid(-1, 3, 2, "asymmetric", "free");
    expect(f.z).toBe(Math.fround(1 / Math.fround(4 / 3)));
    const sym = grid(-1, 3, 3, "symmetric");
    expect(gridLevels(3, "symmetric")).toBe(7);
    expect(sym).toEqual({ fit: GridFit.ok, s: 1, z: 3 });
  });

  it("constant and empty groups reconstruct exactly", () => {
    expect(grid(-2, -2, 4)).toEqual({ fit: GridFit.constant, s: 2, z: 1 });
    expect(grid(0, 0, 4)).toEqual({ fit: GridFit.constant, s: 1, z: 0 });
    expect(grid(Infinity, -Infinity, 4)).toEqual({ fit: GridFit.constant, s: 1, z: 0 });
  });

  it("float64 extremes are rounded to float32 and clamped; a range beyond FLT_MAX clips with finite ends", () => {
    expect(grid(-1.0000000001, 3, 2)).toEqual(grid(-1, 3, 2));
    const r = grid(-FLT_MAX, FLT_MAX, 1);
    expect(r.fit).toBe(GridFit.clipped);
    expect(Number.isFinite(Math.fround((0 - r.z) * r.s)) && Number.isFinite(Math.fround((1 - r.z) * r.s))).toBe(true);
  });

  it("rounds the zero point half to even, like numpy", () => {
    expect([0.5, 1.5, 2.5, -0.5].map(roundHalfEven)).toEqual([0, 2, 2, -0]);
  });
});
