export { accuracyEvaluator, ACCURACY_EVALUATOR_VERSION, DEFAULT_KL_EPSILON } from "./accuracy-evaluator.js";
export type { AccuracyOptions, AccuracyOptionsInput } from "./accuracy-evaluator.js";
export { meanKlDivergence, top1Accuracy, top1Agreement, topClasses } from "./accuracy-impl.js";
export { modelAccuracySummary } from "./summary.js";
export type { ModelAccuracySummary } from "./summary.js";
