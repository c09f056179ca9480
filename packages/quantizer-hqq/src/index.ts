export { hqqQuantizer, hqqOptionsSchema, hqqQuantizeTensor } from "./hqq-quantizer.js";
export type { HqqOptions, HqqOptionsInput } from "./hqq-quantizer.js";
export { hqqQuantize, hqqGroup, shrinkLp } from "./hqq-impl.js";
export type { HqqSpec } from "./hqq-impl.js";
export { VERSION } from "./version.js";
