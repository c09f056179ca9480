import { describe, expect, it } from "vitest";
import { rtnQuantizer } from "./index.js";

// What this quantizer declares to \`auto\` (core's AutoEligibility): auto hard-codes no quantizer,
// so these declarations are its default (or opt-in) candidates. The conformance suite checks that
// every declared option set parses at every declared width.
describe("auto eligibility", () => {
  it("offers auto five zero-exact grids up to 12 bits, first in its order", () => {
    const p = rtnQuantizer();
    const wide = [2, 3, 4, 5, 6, 7, 8, 10, 12];
    expect(p.auto).toMatchObject({
      order: 10,
      candidates: [
        { options: { granularity: "channel", axis: "output", zero: "exact" }, bits: wide },
        { options: { granularity: "channel", axis: "input", zero: "exact" }, bits: wide },
        { options: { granularity: "group", groupSize: 32, zero: "exact" }, bits: [2, 3, 4, 5, 6, 7, 8, 10] },
        { options: { granularity: "group", groupSize: 128, zero: "exact" }, bits: wide },
        { options: { granularity: "tensor", zero: "exact" }, bits: wide },
      ],
    });
    expect(p.auto?.costly).toBeUndefined(); // rounding grids are cheap
  });
});
