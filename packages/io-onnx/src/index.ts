export { readOnnxModel, parseOnnxModel, scanFields, loadOnnxWeights, streamOnnxWeights, readOnnxTensor, initializerValues, initializerRawBytes, isWeightInitializer } from "./read.js";
export type { OnnxModel, OnnxInitializer, OnnxNode, OnnxValueInfo, OnnxWeightTags, WireField, TensorMessage } from "./read.js";
export { encodeOnnxModel, writeOnnxModel, OnnxTargetError } from "./write.js";
export type { OnnxTarget, OnnxWeightOutput, OnnxWriteResult } from "./write.js";
export { runOnnxModel, onnxInputSpecs, feedableType, loadOrt, createOnnxSession, runOnnxSession } from "./run.js";
export type { OnnxFeed, OnnxOutput, OnnxOptimization, Ort } from "./run.js";
export { OnnxDataType, ONNX_ELEMENT_BYTES, onnxTypes } from "./schema.js";
