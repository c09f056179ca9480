import { describe, expect, it } from "vitest";
import { pickMeasured, predictDistortion } from "./measure.js";

describe("pickMeasured", () => {
  const rate = [100, 200, 300, 400, 500, 250, Infinity];
  const sse = [64, 16, 4, 1, 0.25, 30, Infinity];
  it("measures every usable candidate when k covers them", () => {
    expect([...pickMeasured(rate, sse, 10)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it("spreads k over the (rate, weight error) hull, ends included", () => {
    expect([...pickMeasured(rate, sse, 2)].sort()).toEqual([0, 4]);
    expect([...pickMeasured(rate, sse, 3)].sort()).toEqual([0, 2, 4]);
    expect(pickMeasured(rate, sse, 1)).toEqual(new Set([2]));
  });
});

describe("predictDistortion", () => {
  it("keeps measured values and scales the others by the nearest measured sensitivity", () => {
    const sse = [64, 16, 4, 1, 0];
    const dist = [Infinity, 8, Infinity, 2, Infinity];
    const d = predictDistortion(sse, dist, new Set([1, 3]));
    // sse 4 is as far (×4) from 16 as from 1: the tie goes to the lower index (α = 8/16).
    expect(d).toEqual([32, 8, 2, 2, 0]);
  });
  it("falls back to the weight error when no measured ratio is finite", () => {
    expect(predictDistortion([4, 2], [Infinity, Infinity], new Set([0]))).toEqual([Infinity, 2]);
  });
});
