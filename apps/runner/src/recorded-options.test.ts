import { describe, expect, it } from "vitest";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { supportRegionQuantizer } from "@quantforge/quantizer-support-region";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
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

  it("records a deprecated spelling as given (byte-identical headers), the new one as before", () => {
    const um = uniformMseQuantizer();
    const raw = { bits: 4, granularity: "layer" };
    const options = um.parseOptions(raw);
    expect(options).toEqual(um.parseOptions({ bits: 4, granularity: "tensor" }));
    // What the header held before `layer` became an alias: the user's spelling, in schema order.
    expect(JSON.stringify(optionsEntry(um, options, raw))).toBe('{"quantizerOptions":{"bits":4,"granularity":"layer"}}');
    expect(JSON.stringify(optionsEntry(um, options, { bits: 4, granularity: "tensor" }))).toBe('{"quantizerOptions":{"bits":4}}');
    expect(optionsEntry(um, options)).toEqual({ quantizerOptions: { bits: 4 } });
    const sr = supportRegionQuantizer();
    expect(recordedOptions(sr, sr.parseOptions({ scope: "global" }), { scope: "global" })).toEqual({ scope: "global" });
    expect(recordedOptions(sr, sr.parseOptions({ scope: "joint" }), { scope: "joint" })).toEqual({ scope: "joint" });
  });
});
