export { uniformMseQuantizer, uniformMseOptionsSchema, UNIFORM_MSE_OPTION_ALIASES, uniformMseQuantizeTensor, uniformMseGrouping } from "./uniform-mse-quantizer.js";
export type { UniformMseOptions, UniformMseOptionsInput } from "./uniform-mse-quantizer.js";
export { uniformMseQuantize, gridEncode, groupRms, storableSigma, layoutGroupCount, FLT_MAX } from "./uniform-mse-impl.js";
export type { UniformMseLayout, UniformMseSpec, UniformMseResult } from "./uniform-mse-impl.js";
