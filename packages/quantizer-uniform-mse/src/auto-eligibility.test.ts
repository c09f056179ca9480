import { describe, expect, it } from "vitest";
import { uniformMseQuantizer } from "./index.js";

// What this quantizer declares to \`auto\` (core's AutoEligibility): auto hard-codes no quantizer,
// so these declarations are its default (or opt-in) candidates. The conformance suite checks that
// every declared option set parses at every declared width.
describe("auto eligibility", () => {
  it("offers auto a midtread per-channel and a per-tensor grid, the latter costly", () => {
    const p = uniformMseQuantizer();
    expect(p.auto).toMatchObject({ order: 20, candidates: [{ options: { granularity: "channel", axis: "output", midtread: true } }, { options: { granularity: "tensor" } }] });
    // The per-tensor x_max search costs ≈ 20× a rounding grid per weight; per-channel grids do not.
    expect(p.auto?.costly?.({ granularity: "tensor" })).toBe(true);
    expect(p.auto?.costly?.({ granularity: "channel", axis: "output", midtread: true })).toBe(false);
  });
});
