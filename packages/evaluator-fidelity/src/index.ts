export { fidelityEvaluator, fidelityOptionsSchema, fidelityMetrics, fidelitySettings, OUTPUT_FLAG } from "./fidelity-evaluator.js";
export type { FidelityOptions, FidelityOptionsInput } from "./fidelity-evaluator.js";
// The meter, the output classification and the forward-cost model live in @quantforge/core/host
// (the `auto` quantizer measures with them without depending on this package); re-exported here
// under their old names so existing importers keep working.
export { FidelityMeter, fidelityInputs, modelOutputs, DEFAULT_FIDELITY_SETTINGS } from "@quantforge/core/host";
export type { FidelitySettings, FidelityInputs, FidelityInputSource, FidelityResult, OutputFidelity, ClassifierMode } from "@quantforge/core/host";
export { relativeError, isDistribution, softmaxRows, meanKl, argmaxRows, top1Agreement, tensorSqnrDb } from "./fidelity-impl.js";
export type { MaybeValue } from "./fidelity-impl.js";
export { sensitivityReport, weightSensitivityReport, formatSensitivityMarkdown, sensitivityPlanNote } from "./sensitivity.js";
export type { SensitivityReport, SensitivityRow, SensitivityOptions } from "./sensitivity.js";
export { VERSION as FIDELITY_VERSION } from "./version.js";
export { outputFlag, classifierKind, classAxis, SATURATION_EPS, NEAR_ZERO_ABS, SPARSE_SHARE, MAX_LOGIT_CLASSES, CLASS_NAME } from "@quantforge/core/host";
export { isDistributionRows } from "@quantforge/metrics";
export type { OutputFlag } from "@quantforge/core/host";
export { forwardUnitsPerSample, passSeconds, SECONDS_PER_FORWARD_UNIT, SECONDS_PER_PASS_PARAM } from "@quantforge/core/host";
export type { ForwardShape } from "@quantforge/core/host";
export { planSensitivitySamples, SENSITIVITY_SAMPLE_LADDER, DEFAULT_SENSITIVITY_BUDGET_SECONDS } from "./sensitivity-plan.js";
export type { SensitivityPlan } from "./sensitivity-plan.js";
export { outputAgreement, AGREEMENT_KL_EPSILON } from "./output-agreement.js";
export type { OutputAgreement, NamedOutput } from "./output-agreement.js";
