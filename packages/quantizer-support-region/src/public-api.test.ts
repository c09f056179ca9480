import { expect, it } from "vitest";

it("pins the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual([
    "FLT_MAX", "GLOBAL_CODEBOOK_ID", "MAX_XMAX_SIGMA", "MIN_XMAX_SIGMA", "SUPPORT_SYNTAX", "THEORY_MAX_BITS",
    "centerScale", "clampXMaxSigma", "formatSupportRegionTheory", "formatSupportSpec", "gridEncode", "gridLevels",
    "lloydRefine", "measuredError", "mseSearch", "parseSupportList", "parseSupportSpec", "percentileSorted", "prefixSums", "radixSortNonNegative",
    "resolveSupport", "sortedDeviations", "sortedGridError", "storableXMax", "supportNeedsWeights", "supportRegionOptionsSchema",
    "supportRegionQuantize", "supportRegionQuantizer", "supportRegionTheory", "supportSpecProblem",
  ]);
});
