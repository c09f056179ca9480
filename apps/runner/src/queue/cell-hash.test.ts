import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, cellHash, contextKey, type CellHashContext } from "./cell-hash.js";

const ctx: CellHashContext = {
  inputs: [{ role: "weights", sha256: "a".repeat(64) }],
  config: { evaluators: [{ id: "sqnr", options: {} }], seed: 0, include: [], exclude: [], allTensors: false },
  plugins: [{ kind: "quantizer", id: "rtn", version: "1.0.0" }],
  quantforgeVersion: "0.1.0",
  referenceModel: false,
};
const spec = { quantizer: "rtn", options: { bits: 4 }, coder: "fixed", coderOptions: {} };

describe("cell hash", () => {
  it("canonical JSON ignores key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
      }),
    );
  });

  it("changes with every input of the result, not with paths", () => {
    const base = cellHash(contextKey(ctx), spec);
    expect(cellHash(contextKey({ ...ctx }), { ...spec })).toBe(base);
    const variants = [
      cellHash(contextKey(ctx), { ...spec, options: { bits: 3 } }),
      cellHash(contextKey(ctx), { ...spec, coder: "huffman" }),
      cellHash(contextKey({ ...ctx, config: { ...ctx.config, seed: 1 } }), spec),
      cellHash(contextKey({ ...ctx, inputs: [{ role: "weights", sha256: "b".repeat(64) }] }), spec),
      cellHash(contextKey({ ...ctx, plugins: [{ kind: "quantizer", id: "rtn", version: "1.0.1" }] }), spec),
      cellHash(contextKey({ ...ctx, quantforgeVersion: "0.2.0" }), spec),
      cellHash(contextKey({ ...ctx, config: { ...ctx.config, exclude: ["bias"] } }), spec),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(cellHash(contextKey({ ...ctx, config: { ...ctx.config, weights: "/elsewhere/w.safetensors" } as CellHashContext["config"] }), spec)).toBe(base);
  });
});
