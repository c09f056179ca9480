/**
 * The browser-safe part of `@quantforge/datasets` (no Node APIs, no image decoder): model input
 * layouts, the shared seeded input generator and batched model runs. Import it as
 * `@quantforge/datasets/browser`; the package root adds the file and MNIST loaders.
 */
export { resolveInputLayout, splitSamples, inputDataset, nonBatchDims } from "./model-inputs.js";
export { batchDimName, inputBatchAxes, outputBatchAxes, withBatch, toBatchAxis, fromBatchAxis } from "./batch-axis.js";
export type { DimsDecl } from "./batch-axis.js";
export { runInBatches, type BatchOutput } from "./batches.js";
export { DEFAULT_FLOAT_RANGE, DEFAULT_INT_RANGE, DEFAULT_BOOL_RANGE, MAX_GENERATED_VALUES, parseInputRanges, checkRangeNames, isImageSlot, slotRange, generateSamples, describeGenerated } from "./input-generator.js";
export type { InputRange, InputRanges } from "./input-generator.js";
export type { ModelInputDtype, ModelInputDecl, ModelInputSlot, ModelInputLayout, ModelInputFeed, ModelInputData, FileProbeOptions, FileModelProbe } from "./model-inputs.js";
