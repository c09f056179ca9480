import { describe, expect, it } from "vitest";
import { hqqQuantizer } from "./index.js";

// What this quantizer declares to \`auto\` (core's AutoEligibility): auto hard-codes no quantizer,
// so these declarations are its default (or opt-in) candidates. The conformance suite checks that
// every declared option set parses at every declared width.
describe("auto eligibility", () => {
  it("is an opt-in auto candidate in groups of 64 at 2–4 bits", () => {
    const p = hqqQuantizer();
    expect(p.auto).toMatchObject({ order: 50, optIn: [{ options: { groupSize: 64 }, bits: [2, 3, 4] }] });
    expect(p.auto?.candidates ?? []).toEqual([]);
  });
});
