export { accuracyEvaluator, ACCURACY_EVALUATOR_VERSION, DEFAULT_KL_EPSILON } from "./accuracy-evaluator.js";
export type { AccuracyOptions, AccuracyOptionsInput } from "./accuracy-evaluator.js";
// The math lives in @quantforge/metrics; these names are kept for existing importers.
export { meanKlDivergence, matchShare as top1Accuracy, matchShare as top1Agreement, argmaxRows as topClasses } from "@quantforge/metrics";
export { modelAccuracySummary } from "./summary.js";
export type { ModelAccuracySummary } from "./summary.js";
