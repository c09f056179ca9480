/**
 * `@quantforge/io-onnx/testing`: small ONNX models assembled with protobufjs, for tests and
 * benchmarks — Conv/Relu/Reshape/Gemm/Cast/Mul (opset 13 by default) and a two-layer MatMul
 * model (opset 21 by default) whose weights tile into blocks of 32 along the last axis.
 *
 * @packageDocumentation
 */
export { MATMUL_WEIGHTS, ONNX_WEIGHTS, buildMatMulOnnxModel, buildOnnxModel, put, randomInput, scratch } from "./fixtures.js";
export { CONSTANT_WEIGHTS, LSTM_CELL_WEIGHTS, buildConstantOnnxModel, buildLstmCellOnnxModel, buildStateOnnxModel, buildSubgraphOnnxModel } from "./graph-fixtures.js";
export { encodeModel } from "./fixtures.js";
