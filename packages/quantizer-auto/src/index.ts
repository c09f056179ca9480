export { autoQuantizer, autoQuantize, autoOptionsSchema, calibrationSeed, codedBits, outputDistortion, DEFAULT_CANDIDATES, DEFAULT_CANDIDATE_BITS, WIDE_CANDIDATE_BITS } from "./auto-quantizer.js";
export type { AutoOptions, AutoOptionsInput, AutoQuantizerConfig, CachedMeasurement, CandidateSpec, MeasurementCache } from "./auto-quantizer.js";
export { allocate, lowerHull } from "./allocate-impl.js";
export type { Allocation, RdPoint } from "./allocate-impl.js";
export { VERSION } from "./version.js";
