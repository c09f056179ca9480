export {
  uniformAlphabet, alphabetForWeights, alphabetSize, alphabetCodebook, layerScale, nearestCode, floorCode,
  roundToAlphabet, isOnAlphabet, fillCells, MIN_ALPHABET_BITS, MAX_ALPHABET_BITS,
} from "./alphabet.js";
export type { Alphabet, AlphabetKind, CellConstraint } from "./alphabet.js";
export { planWalk, createWalkWorkspace, walkNeuron } from "./vertex-walk-impl.js";
export type { WalkPlan, PlanOptions, WalkWorkspace, WalkStats, WalkOptions } from "./vertex-walk-impl.js";
export { preprocessedMsqQuantizer, preprocessedMsqOptions } from "./preprocessed-msq-quantizer.js";
export type { PreprocessedMsqOptions, PreprocessedMsqOptionsInput } from "./preprocessed-msq-quantizer.js";
export { msqQuantizer, msqOptions } from "./msq-quantizer.js";
export type { MsqOptions, MsqOptionsInput } from "./msq-quantizer.js";
export { syntheticDenseProbe } from "./synthetic-probe.js";
export type { DenseLayerSpec, SyntheticProbeOptions } from "./synthetic-probe.js";
