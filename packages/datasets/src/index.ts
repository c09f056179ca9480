export { makeDataset, selectSamples, takeSamples } from "./dataset.js";
export type { DatasetSplit } from "./dataset.js";
export { loadEmbeddedMnist, EMBEDDED_MNIST_SEED, EMBEDDED_MNIST_COUNT, EMBEDDED_MNIST_TRAIN } from "./embedded.js";
export type { EmbeddedMnistOptions } from "./embedded.js";
export { loadIdx, parseIdx, idxToDataset, encodeIdx } from "./idx.js";
export type { IdxArray, IdxOptions } from "./idx.js";
export { loadDataSource } from "./source.js";
export { resolveInputLayout, splitSamples, loadInputData, inputDataset, runInBatches } from "./model-inputs.js";
export type { ModelInputDtype, ModelInputDecl, ModelInputSlot, ModelInputLayout, ModelInputFeed, ModelInputData, BatchOutput, FileProbeOptions, FileModelProbe } from "./model-inputs.js";
