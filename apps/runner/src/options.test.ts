import { describe, expect, it } from "vitest";
import { ErrorCodes } from "@quantforge/core";
import { coerceOptionValue, compilePatterns, idList, parseOptionPairs, parseSeed } from "./options.js";

describe("coerceOptionValue", () => {
  it("parses numbers, booleans, null and JSON; keeps other text", () => {
    expect(coerceOptionValue("4")).toBe(4);
    expect(coerceOptionValue("-0.25")).toBe(-0.25);
    expect(coerceOptionValue("1e-3")).toBe(0.001);
    expect(coerceOptionValue(".5")).toBe(0.5);
    expect(coerceOptionValue("true")).toBe(true);
    expect(coerceOptionValue("false")).toBe(false);
    expect(coerceOptionValue("null")).toBe(null);
    expect(coerceOptionValue("[1,2,3]")).toEqual([1, 2, 3]);
    expect(coerceOptionValue('{"kind":"group","size":64}')).toEqual({ kind: "group", size: 64 });
    expect(coerceOptionValue('"42"')).toBe("42");
    expect(coerceOptionValue("channel")).toBe("channel");
    expect(coerceOptionValue("0x10")).toBe("0x10");
    expect(coerceOptionValue("")).toBe("");
  });
  it("rejects JSON-looking text that does not parse", () => {
    expect(() => coerceOptionValue("[1,2")).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
});

describe("parseOptionPairs", () => {
  it("nests dotted keys", () => {
    expect(parseOptionPairs(["bits=4", "granularity.kind=channel", "granularity.axis=0", "symmetric=true"])).toEqual({
      bits: 4,
      symmetric: true,
      granularity: { kind: "channel", axis: 0 },
    });
  });
  it("keeps '=' inside values", () => {
    expect(parseOptionPairs(["expr=a=b"])).toEqual({ expr: "a=b" });
  });
  it.each([
    ["no equals sign", ["bits"]],
    ["empty key", ["=4"]],
    ["bad key", ["a..b=1"]],
    ["prototype pollution", ["__proto__.x=1"]],
    ["duplicate key", ["bits=4", "bits=8"]],
    ["value then nested", ["g=1", "g.kind=channel"]],
    ["nested then value", ["g.kind=channel", "g=1"]],
  ])("rejects %s with QF_USAGE", (_, pairs) => {
    expect(() => parseOptionPairs(pairs)).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
});

describe("flag parsers", () => {
  it("parseSeed accepts 0…2^32−1 only", () => {
    expect(parseSeed(undefined)).toBe(0);
    expect(parseSeed("4294967295")).toBe(4294967295);
    for (const bad of ["-1", "1.5", "abc", "4294967296", ""]) expect(() => parseSeed(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
  it("compilePatterns names the flag of a bad regex", () => {
    expect(compilePatterns("--include", ["^a", "b$"]).map(String)).toEqual(["/^a/", "/b$/"]);
    expect(() => compilePatterns("--exclude", ["("])).toThrow(/--exclude "\("/);
  });
  it("idList splits commas, drops duplicates and falls back", () => {
    expect(idList(["sqnr,size", "size", " x "], ["d"])).toEqual(["sqnr", "size", "x"]);
    expect(idList([], ["sqnr", "size"])).toEqual(["sqnr", "size"]);
  });
});
