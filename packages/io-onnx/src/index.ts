export { readOnnxModel, parseOnnxModel, scanFields, loadOnnxWeights, streamOnnxWeights, readOnnxTensor, initializerValues, initializerRawBytes, isWeightInitializer, MAX_ONNX_FILE_BYTES, MAX_TENSOR_ELEMENTS } from "./read.js";
export type { OnnxModel, OnnxInitializer, OnnxNode, OnnxGraph, OnnxValueInfo, OnnxWeightTags, WireField, TensorMessage } from "./read.js";
export { spliceWire, lenField, lenHeader, concatBytes } from "./wire.js";
export type { WireEdit } from "./wire.js";
export { encodeOnnxModel, writeOnnxModel, OnnxTargetError } from "./write.js";
export type { OnnxTarget, OnnxWeightOutput, OnnxWriteResult } from "./write.js";
export { runOnnxModel, onnxInputSpecs, feedableType, loadOrt, createOnnxSession, runOnnxSession } from "./run.js";
export type { OnnxFeed, OnnxOutput, OnnxOptimization, Ort } from "./run.js";
export { OnnxDataType, ONNX_ELEMENT_BYTES, onnxTypes } from "./schema.js";
