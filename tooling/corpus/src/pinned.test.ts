import { describe, expect, it } from "vitest";
import { pinnedUnitMap } from "./run-model.js";

describe("pinnedUnitMap", () => {
  it("is a [0, 1] map within 1e-3 of 0 (or of 1) everywhere, and nothing else", () => {
    expect(pinnedUnitMap(Float32Array.from([0, 1.2e-7, 4.8e-7]))).toBe(true);
    expect(pinnedUnitMap(Float32Array.from([0.9995, 1]))).toBe(true);
    expect(pinnedUnitMap(Float32Array.from([0, 0.5]))).toBe(false);
    expect(pinnedUnitMap(Float32Array.from([-1e-7, 1e-7]))).toBe(false);
    expect(pinnedUnitMap(new Float32Array(0))).toBe(false);
  });
});
