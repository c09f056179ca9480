export { gptqQuantizer, gptqOptionsSchema, gptqGrouping, HessianNotPositiveDefiniteError } from "./gptq-quantizer.js";
export type { GptqOptions, GptqOptionsInput } from "./gptq-quantizer.js";
export { gptqLayer, columnOrder } from "./gptq-impl.js";
export type { GptqLayerProblem, GptqLayerResult } from "./gptq-impl.js";
export { hessianFromInputs, upperCholeskyOfInverse } from "./linalg.js";
export { gridParams, gridLevels } from "./grid.js";
export type { GridSpec } from "./grid.js";
export { VERSION } from "./version.js";
