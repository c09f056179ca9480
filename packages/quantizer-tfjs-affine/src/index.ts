export { tfjsAffineQuantizer, tfjsAffineOptionsSchema, tfjsAffineQuantizeTensor } from "./tfjs-affine-quantizer.js";
export type { TfjsAffineOptions, TfjsAffineOptionsInput, TfjsQuantizationDtype } from "./tfjs-affine-quantizer.js";
export { roundHalfEven, tfjsAffineRange, tfjsAffineQuantize, tfjsFloat16Quantize } from "./tfjs-affine-impl.js";
export type { TfjsAffineRange, TfjsAffineResult, TfjsFloat16Result } from "./tfjs-affine-impl.js";
