import { describe, expect, it } from "vitest";
import { gptqQuantizer } from "./index.js";

// What this quantizer declares to \`auto\` (core's AutoEligibility): auto hard-codes no quantizer,
// so these declarations are its default (or opt-in) candidates. The conformance suite checks that
// every declared option set parses at every declared width.
describe("auto eligibility", () => {
  it("is an opt-in auto candidate per output channel at 2–4 bits", () => {
    const p = gptqQuantizer();
    expect(p.auto).toMatchObject({ order: 40, optIn: [{ options: { granularity: "channel", axis: "output", zero: "exact" }, bits: [2, 3, 4] }] });
    expect(p.auto?.candidates ?? []).toEqual([]); // opt-in only: not tried by default
    expect(p.auto?.costly).toBeUndefined();
  });
});
