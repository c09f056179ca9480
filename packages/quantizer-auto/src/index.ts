export { autoQuantizer, autoQuantize, autoOptionsSchema, calibrationSeed, codedBits, outputDistortion, DEFAULT_CANDIDATES, DEFAULT_CANDIDATE_BITS, FIELD_CANDIDATES, WIDE_CANDIDATE_BITS } from "./auto-quantizer.js";
export type { AutoOptions, AutoOptionsInput, AutoQuantizerConfig, CachedMeasurement, CandidateSpec, MeasurementCache } from "./auto-quantizer.js";
export { allocate, cheapestImprovingStep, lowerHull } from "./allocate-impl.js";
export { chooseCostPlan, forwardUnitsPerSample, planSeconds, PLAN_LADDER } from "./cost-model-impl.js";
export type { CostPlan, CostShape } from "./cost-model-impl.js";
export { planFor } from "./auto-quantizer.js";
export type { Allocation, RdPoint } from "./allocate-impl.js";
export { VERSION } from "./version.js";
