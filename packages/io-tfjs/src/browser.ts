/**
 * The browser-safe part of `@quantforge/io-tfjs` (no Node APIs): parse a model.json and its
 * shards from bytes, run the model with given weights, and write it back in memory as
 * `tfjs-native` or `tfjs-float`. Import it as `@quantforge/io-tfjs/browser`.
 */
export { MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_CONTAINERS, checkJsonContainers, decodeFloatEntry, decodeNonFloatEntry } from "./tfjs-decode.js";
export { isFloatEntry, isWeightsManifestPath, isLegacyTfjsTopologyPath, legacyTfjsAdvice, parseModelJson } from "./parse.js";
export type { TfjsModelFormat } from "./parse.js";
export { checkWeightSpec, layoutManifest, storedElementBytes } from "./manifest.js";
export type { TfjsModelJson, TfjsManifestGroup, TfjsWeightSpec, TfjsWeightEntry, TfjsWeightDtype, TfjsQuantization } from "./manifest.js";
export { layersModelTags, graphModelTags, manifestTags } from "./roles.js";
export type { WeightTags } from "./roles.js";
export { nativeEncoding, TargetMismatchError } from "./native.js";
export type { NativeEncoding } from "./native.js";
export { encodeEntry, checkQuantizedFits, floatBytes } from "./entry-encode.js";
export type { TfjsWeightOutput, EncodedEntry } from "./entry-encode.js";
export { readTfjsModelBytes, memoryEntryBytes, memoryTfjsWeights, writeTfjsModelBytes } from "./memory.js";
export type { TfjsMemoryModel, MemoryFile } from "./memory.js";
export { buildTfjsArtifacts, loadTfjsFromArtifacts, tfjsInputSpecs, checkFeeds, runTfjsModel } from "./run-model.js";
export type { TfjsRuntime, ModelInputSpec, ModelOutput, ModelFeed } from "./run-model.js";
