/**
 * `@quantforge/io-onnx/testing`: a small ONNX model (Conv/Relu/Reshape/Gemm/Cast/Mul, opset 13)
 * assembled with protobufjs, for tests and benchmarks.
 *
 * @packageDocumentation
 */
export { ONNX_WEIGHTS, buildOnnxModel, put, randomInput, scratch } from "./fixtures.js";
