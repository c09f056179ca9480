import { describe, expect, it } from "vitest";
import { hessianEcsqQuantizer } from "./index.js";

// What this quantizer declares to \`auto\` (core's AutoEligibility): auto hard-codes no quantizer,
// so these declarations are its default (or opt-in) candidates. The conformance suite checks that
// every declared option set parses at every declared width.
describe("auto eligibility", () => {
  it("offers auto exact 1-D k-means per tensor, costly", () => {
    const p = hessianEcsqQuantizer();
    expect(p.auto).toMatchObject({ order: 30, candidates: [{ options: { mode: "kmeans", importance: "none", scope: "layer" } }] });
    expect(p.auto?.costly?.({ mode: "kmeans" })).toBe(true);
  });
});
