export { supportRegionQuantizer, supportRegionQuantize } from "./support-region-quantizer.js";
export { supportRegionOptionsSchema, GLOBAL_CODEBOOK_ID, SUPPORT_REGION_OPTION_ALIASES } from "./support-region-options.js";
export type { SupportRegionOptions, SupportRegionOptionsInput, SupportScope, SupportRegionTensorDetail, SupportRegionResult } from "./support-region-options.js";
export { parseSupportSpec, formatSupportSpec, supportNeedsWeights, supportSpecProblem, SUPPORT_SYNTAX } from "./support-spec.js";
export type { SupportSpec, SupportKind } from "./support-spec.js";
export { resolveSupport, measuredError } from "./support-resolve.js";
export type { SupportData, ResolvedSupport, SupportOrigin } from "./support-resolve.js";
export {
  centerScale,
  sortedDeviations,
  radixSortNonNegative,
  percentileSorted,
  prefixSums,
  sortedGridError,
  lloydRefine,
  mseSearch,
  clampXMaxSigma,
  storableXMax,
  gridLevels,
  gridEncode,
  FLT_MAX,
  MIN_XMAX_SIGMA,
  MAX_XMAX_SIGMA,
} from "./support-region-impl.js";
export type { CenterScale, SortedDeviations, MseSearchResult, MseSearchOptions, GridEncodeStats } from "./support-region-impl.js";
export { supportRegionTheory, formatSupportRegionTheory, parseSupportList, THEORY_MAX_BITS } from "./theory.js";
export type { SupportRegionTheoryRow, SupportRegionTheoryOptions } from "./theory.js";
