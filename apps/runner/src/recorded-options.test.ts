import { describe, expect, it } from "vitest";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { optionsEntry, recordedOptions } from "./recorded-options.js";

describe("recordedOptions", () => {
  it("keeps only the non-default options, and they parse back to the full set", () => {
    const q = hessianEcsqQuantizer();
    const full = q.parseOptions({ mode: "kmeans", clusters: 16, importance: "none" });
    const rec = recordedOptions(q, full) as Record<string, unknown>;
    expect(Object.keys(rec).length).toBeLessThan(Object.keys(full as object).length);
    expect(q.parseOptions(rec)).toEqual(full);
    expect(JSON.stringify(rec).length).toBeLessThan(80);
  });

  it("records everything when the subset would parse to something else", () => {
    // A parser whose default for b depends on a: {a: 2} alone would not give back b = 1.
    const parser = {
      parseOptions: (raw: unknown) => {
        const r = raw as { a?: number; b?: number };
        const a = r.a ?? 1;
        return { a, b: r.b ?? a };
      },
    };
    expect(recordedOptions(parser, { a: 2, b: 1 })).toEqual({ a: 2, b: 1 });
    expect(recordedOptions(parser, { a: 2, b: 2 })).toEqual({ a: 2, b: 2 });
    expect(recordedOptions(parser, { a: 1, b: 1 })).toEqual({});
  });

  it("records everything when the defaults cannot be parsed", () => {
    const parser = {
      parseOptions: (raw: unknown) => {
        if (!(raw as { bits?: number }).bits) throw new Error("bits required");
        return raw;
      },
    };
    expect(recordedOptions(parser, { bits: 4, x: 1 })).toEqual({ bits: 4, x: 1 });
  });

  it("leaves the header entry out only when every option is a default", () => {
    const parser = { parseOptions: (raw: unknown) => ({ bits: 4, ...(raw as object) }) };
    expect(optionsEntry(parser, { bits: 4 })).toEqual({});
    expect(optionsEntry(parser, { bits: 3 })).toEqual({ quantizerOptions: { bits: 3 } });
  });
});
