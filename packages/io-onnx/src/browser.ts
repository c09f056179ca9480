import type { OnnxModel } from "./types.js";
import { parseOnnxModelWith } from "./parse.js";

/**
 * The browser-safe part of `@quantforge/io-onnx` (no `fs`, `path`, `Buffer` or onnxruntime-node):
 * parse and validate a self-contained `.onnx` file from bytes, read its float initializers, write
 * it back quantized (`onnx`, `onnx-qdq`, `onnx-nbits`) to bytes. The package root adds the file
 * reader (with external data), the atomic file writer and the onnxruntime-node runner.
 *
 * @packageDocumentation
 */

/**
 * Parses and validates a self-contained ONNX model from bytes (the checks of `readOnnxModel`);
 * a tensor stored in an external data file is a {@link FormatError}, since a browser has only
 * the one file.
 *
 * @param name - Names the model in messages.
 * @throws {FormatError} On a malformed model or externally stored data.
 */
export function parseOnnxBytes(bytes: Uint8Array, name: string): Promise<OnnxModel> {
  return parseOnnxModelWith(bytes, name, null);
}

export { parseOnnxModelWith } from "./parse.js";
export * from "./types.js";
export { initializerRawBytes, initializerValues, readOnnxTensor, streamOnnxWeights } from "./values.js";
export { spliceWire, lenField, lenHeader, concatBytes } from "./wire.js";
export type { WireEdit } from "./wire.js";
export { encodeOnnxModel, OnnxTargetError } from "./encode.js";
export type { OnnxTarget, OnnxWeightOutput, OnnxWriteOptions, OnnxWriteResult } from "./encode.js";
export { feedableType, onnxInputSpecs, type OnnxFeed, type OnnxOutput } from "./feeds.js";
export { onnxQdqSupport } from "./support.js";
export type { OnnxQdqSupport } from "./support.js";
export { OnnxDataType, ONNX_ELEMENT_BYTES, onnxTypes } from "./schema.js";
export { onnxInputDecls } from "./input-decls.js";
export type { OnnxInputDecl } from "./input-decls.js";
export { createOnnxSession, runOnnxSession, type OnnxOptimization, type Ort } from "./session.js";
