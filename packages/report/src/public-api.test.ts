import { expect, it } from "vitest";

// Pins the public surface: adding, renaming or removing an export must be deliberate.
it("exports exactly the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual([
    "COMPARE_FORMAT", "COMPARE_FORMAT_VERSION", "FLOAT_LABEL", "PARETO_LABEL", "SLB_LABEL", "SUPPORT_REGION_ALL_TENSORS", "UNIFORM_LABEL",
    "bestByRanking", "bestInGroup", "bestNote", "cellPoints", "compareCharts", "csvField", "escapeHtml", "fidelityTable", "flaggedOutputs", "fmtNum", "fmtRel",
    "formatSupportRegionExperiment", "formatUniformMseExperiment", "heatColor", "heatTable",
    "laplacianReferences", "laplacianSlbDb", "logLogSlopes", "modelMarkdown", "outputErrorChart", "paretoFront", "pointText", "rankingOf", "rateGroup", "renderCsv", "renderHessianEcsqMarkdown", "renderHtml",
    "renderMarkdown", "renderSensitivityHtml", "renderSvg", "resultsTable", "sensitivityChart", "statusLine", "syntheticMarkdown",
  ]);
});
