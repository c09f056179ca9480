export {
  MAX_THEORY_BITS,
  RULE_MAX_BITS,
  levelsFor,
  laplacianDistortion,
  laplacianDistortionSlope,
  optimalXMax,
  iterativeXMax,
  designXMax,
  mismatchSqnrDb,
  granularApproxSqnrDb,
  designTable,
  recommendBits,
  clearDesignCache,
} from "./design.js";
export type { DesignKind, QuantizerShapeOptions, LaplacianDistortion, DesignRow, DesignTableOptions, BitRecommendation, RecommendBitsOptions } from "./design.js";
export { parseBitsSpec, parseNumberList, parseNumberArg, formatDesignTable, formatRecommendation } from "./format.js";
export { gridTheoryStats, combineGridTheoryStats, summarizeGridTheory } from "./grid-theory.js";
export type { GridTheoryInput, GridTheoryStats, GridTheorySummary, MaybeValue } from "./grid-theory.js";
