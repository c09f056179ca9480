export { autoQuantizer, autoQuantize, autoOptionsSchema, codedBits, outputDistortion, DEFAULT_CANDIDATES, DEFAULT_CANDIDATE_BITS, WIDE_CANDIDATE_BITS } from "./auto-quantizer.js";
export type { AutoOptions, AutoOptionsInput, AutoQuantizerConfig, CandidateSpec } from "./auto-quantizer.js";
export { allocate, lowerHull } from "./allocate-impl.js";
export type { Allocation, RdPoint } from "./allocate-impl.js";
export { VERSION } from "./version.js";
