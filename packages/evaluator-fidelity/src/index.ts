export { fidelityEvaluator, fidelityOptionsSchema, fidelityMetrics, fidelitySettings } from "./fidelity-evaluator.js";
export type { FidelityOptions, FidelityOptionsInput } from "./fidelity-evaluator.js";
export { FidelityMeter, fidelityInputs, modelOutputs, DEFAULT_FIDELITY_SETTINGS } from "./fidelity.js";
export type { FidelitySettings, FidelityInputs, FidelityInputSource, FidelityResult, OutputFidelity, ClassifierMode } from "./fidelity.js";
export { relativeError, isDistribution, softmaxRows, meanKl, argmaxRows, top1Agreement, tensorSqnrDb } from "./fidelity-impl.js";
export type { MaybeValue } from "./fidelity-impl.js";
export { sensitivityReport, formatSensitivityMarkdown } from "./sensitivity.js";
export type { SensitivityReport, SensitivityRow, SensitivityOptions } from "./sensitivity.js";
export { VERSION as FIDELITY_VERSION } from "./version.js";
