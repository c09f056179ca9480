export { sizeEvaluator, sizeOptionsSchema, evaluateSize } from "./size-evaluator.js";
export type { SizeOptions, SizeOptionsInput } from "./size-evaluator.js";
export { symbolCounts, entropyBits, codeEntropyBits } from "./size-impl.js";
