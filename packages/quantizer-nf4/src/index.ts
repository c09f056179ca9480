export { nf4Quantizer, nf4OptionsSchema, nf4QuantizeTensor } from "./nf4-quantizer.js";
export type { Nf4Options, Nf4OptionsInput } from "./nf4-quantizer.js";
export { NF4_LEVELS, FP4_LEVELS, groupScales, doubleQuantize } from "./nf4-impl.js";
export { VERSION } from "./version.js";
