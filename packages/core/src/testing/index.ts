/**
 * `@quantforge/core/testing`: conformance suites, fast-check arbitraries and a float comparison
 * helper for quantforge plugins. Needs the optional peer dependencies `vitest` and `fast-check`.
 *
 * ```ts
 * // src/conformance.test.ts of a plugin package
 * import { describeQuantizerConformance } from "@quantforge/core/testing";
 * describeQuantizerConformance(myQuantizer(), { options: [{ bits: 4 }], invalidOptions: [{ bits: 0 }] });
 * ```
 *
 * @packageDocumentation
 */
export {
  FLOAT32_MAX,
  FLOAT32_MIN_NORMAL,
  FLOAT32_MIN_SUBNORMAL,
  EDGE_KINDS,
  shapeArb,
  finiteFloat32Arb,
  float32DataArb,
  weightTensorArb,
  sampleTensor,
  laplacianTensorArb,
  gaussianTensorArb,
  edgeTensor,
  edgeTensorArb,
  weightSetArb,
  bitWidthArb,
} from "./arbitraries.js";
export type { ShapeConstraints, ValueConstraints, ShapeInput, TensorConstraints, SampleDistribution, SampleConstraints, EdgeKind, WeightSetConstraints } from "./arbitraries.js";
export { expectClose, CloseAssertionError } from "./expect-close.js";
export type { CloseTolerance, Numeric } from "./expect-close.js";
export type { SkipEntry } from "./suite.js";
export { QUANTIZER_TESTS, describeQuantizerConformance, defaultQuantizerTensors } from "./quantizer-conformance.js";
export type { QuantizerConformanceOptions } from "./quantizer-conformance.js";
export { CODER_TESTS, describeCoderConformance, coderCases, assertSameQuantizedTensor } from "./coder-conformance.js";
export type { CoderConformanceOptions, CoderCase } from "./coder-conformance.js";
export { EVALUATOR_TESTS, describeEvaluatorConformance, defaultEvaluatorWeights } from "./evaluator-conformance.js";
export type { EvaluatorConformanceOptions } from "./evaluator-conformance.js";
export { exactTestQuantizer, coarseTestQuantizer, rawTestCoder } from "./fixtures.js";
