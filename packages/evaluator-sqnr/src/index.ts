export { sqnrEvaluator, sqnrOptionsSchema, evaluateSqnr } from "./sqnr-evaluator.js";
export type { SqnrOptions, SqnrOptionsInput, SqnrHooks } from "./sqnr-evaluator.js";
export { emptyStats, accumulateStats, mergeStats, sqnrDb, sqnrMetrics } from "./sqnr-impl.js";
export type { ErrorStats } from "./sqnr-impl.js";
export { DEFAULT_SQNR_EXTENSIONS } from "./extensions.js";
export type { SqnrExtension, SqnrTensorInput } from "./extensions.js";
export { laplacianTheoryExtension } from "./theory.js";
