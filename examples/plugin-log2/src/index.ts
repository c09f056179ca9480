import { log2Quantizer } from "./log2-quantizer.js";

export { log2Quantizer, log2OptionsSchema, log2QuantizeTensor } from "./log2-quantizer.js";
export type { Log2Options, Log2OptionsInput } from "./log2-quantizer.js";
export { log2Quantize, log2Levels, topExponent, powerOf, baseValue, magnitudeCount, absMax, FLT_MAX } from "./log2-impl.js";
export type { Log2Base, Log2Scale, Log2Rounding, Log2Params, Log2Result } from "./log2-impl.js";
export { VERSION } from "./version.js";

/**
 * What `quantforge --plugin quantforge-plugin-log2` (or `--discover`) registers: the `log2`
 * quantizer with its default options. A loadable plugin package's default export is a descriptor
 * or an array of descriptors.
 */
export default log2Quantizer();
