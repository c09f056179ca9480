import { InvalidOptionsError } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { designTable, formatDesignTable, formatRecommendation, parseBitsSpec, parseNumberArg, parseNumberList, recommendBits } from "./index.js";

describe("parseBitsSpec", () => {
  it("reads ranges, lists and mixtures, keeping order without repeats", () => {
    expect(parseBitsSpec("1..16")).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(parseBitsSpec("2,4,8")).toEqual([2, 4, 8]);
    expect(parseBitsSpec("9..11, 2, 10")).toEqual([9, 10, 11, 2]);
    expect(parseBitsSpec("3")).toEqual([3]);
  });
  it.each(["", "0..4", "4..2", "1..17", "a", "2,,3", "1.5", "1...3"])("rejects %j", (s) => {
    expect(() => parseBitsSpec(s, 16)).toThrow(InvalidOptionsError);
  });
});

describe("parseNumberList", () => {
  it("reads signed numbers and rejects junk", () => {
    expect(parseNumberList("-20,-10, 0,12.5", "sigmaDb")).toEqual([-20, -10, 0, 12.5]);
    expect(() => parseNumberList("1,,2", "sigmaDb")).toThrow(/sigmaDb/);
    expect(() => parseNumberList("x", "sigmaDb")).toThrow(InvalidOptionsError);
  });
});

describe("parseNumberArg", () => {
  it("reads finite numbers, optionally positive only", () => {
    expect(parseNumberArg("0.05", "sigma", { positive: true })).toBe(0.05);
    expect(parseNumberArg("-3", "targetSqnrDb")).toBe(-3);
    for (const bad of ["", "abc", "Infinity", "NaN"]) expect(() => parseNumberArg(bad, "sigma")).toThrow(InvalidOptionsError);
    expect(() => parseNumberArg("0", "sigma", { positive: true })).toThrow(/sigma/);
  });
});

describe("formatting", () => {
  it("prints one aligned line per row under a header", () => {
    const text = formatDesignTable(designTable({ bits: [1, 2], design: "optimal" }));
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/bits.*x_max.*SQNR/);
    expect(lines[3]).toMatch(/^\s*2\s+0\.00\s+2\.174785\s+1\.0874e\+0\s+7\.071/);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
  it("says what the rule picked, or that the target is unreachable", () => {
    expect(formatRecommendation(recommendBits({ sigma: 0.05, targetSqnrDb: 30 }))).toMatch(/^R = 12 bits: SQNR 3\d\.\d\d dB ≥ target 30 dB/);
    expect(formatRecommendation(recommendBits({ sigma: Math.sqrt(10), targetSqnrDb: 30 }))).toMatch(/^unreachable: no R ≤ 16 reaches 30 dB .* best R = 16 with SQNR 27\.84 dB/);
  });
});
