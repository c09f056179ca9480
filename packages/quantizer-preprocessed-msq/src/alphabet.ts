/**
 * The uniform MSQ alphabet now lives in core (one definition shared by plain MSQ, preprocessed MSQ
 * and GPFQ, so GPFQ no longer depends on this plugin); re-exported here for existing importers.
 */
export { uniformAlphabet, alphabetForWeights, alphabetSize, alphabetCodebook, layerScale, nearestCode, floorCode, roundToAlphabet, isOnAlphabet, fillCells, MIN_ALPHABET_BITS, MAX_ALPHABET_BITS } from "@quantforge/core";
export type { Alphabet, AlphabetKind, CellConstraint } from "@quantforge/core";
