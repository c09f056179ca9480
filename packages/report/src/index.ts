export { COMPARE_FORMAT, COMPARE_FORMAT_VERSION } from "./document.js";
export type { CompareDocument, CompareManifest, CompareTotals, InputFile, PluginVersion } from "./document.js";
export { cellPoints, paretoFront, bestInGroup, rateGroup, pointText } from "./points.js";
export type { CellPoint, Better } from "./points.js";
export { compareCharts, outputErrorChart, laplacianReferences, laplacianSlbDb, PARETO_LABEL, SLB_LABEL, UNIFORM_LABEL, FLOAT_LABEL } from "./charts.js";
export type { ChartSpec, ChartId } from "./charts.js";
export { renderSvg } from "./svg.js";
export { resultsTable, heatTable, fidelityTable, fmtNum, fmtRel } from "./tables.js";
export type { Table, TableCell, HeatTable, FidelityTable } from "./tables.js";
export { renderMarkdown, statusLine } from "./markdown.js";
export { renderCsv, csvField } from "./csv.js";
export { renderHtml, escapeHtml, heatColor, type RenderHtmlOptions } from "./html.js";
export { sensitivityChart, renderSensitivityHtml } from "./sensitivity.js";
export type { SensitivityChartInput, SensitivityChartRow } from "./sensitivity.js";
export { rankingOf, bestByRanking, flaggedOutputs, bestNote } from "./ranking.js";
export type { Ranking, RankMetric, FlaggedOutput } from "./ranking.js";
export { formatSupportRegionExperiment, SUPPORT_REGION_ALL_TENSORS } from "./experiments/support-region.js";
export type {
  SupportRegionExperiment, SupportRegionExperimentRun, SupportRegionTensorRow, SupportRegionMseWinRow, SupportRegionLayerVsGlobalRow, SupportRegionScope,
} from "./experiments/support-region.js";
export { renderHessianEcsqMarkdown } from "./experiments/hessian-ecsq.js";
export type { HessianEcsqExperimentResult, HessianEcsqTable1Row, HessianEcsqSweepPoint } from "./experiments/hessian-ecsq.js";
export { formatUniformMseExperiment } from "./experiments/uniform-mse.js";
export type {
  UniformMseExperiment, UniformMseExperimentRow, UniformMseTensorRow, UniformMseBitRuleRow, UniformMseAcceptance, UniformMseExperimentMode, UniformMseSqnrCheck,
} from "./experiments/uniform-mse.js";
export { syntheticMarkdown, modelMarkdown, logLogSlopes } from "./experiments/preprocessed-msq.js";
export type { PreprocessedMsqSyntheticRow, PreprocessedMsqSlopeRow, PreprocessedMsqModelRow, PreprocessedMsqLayerOutputError } from "./experiments/preprocessed-msq.js";
