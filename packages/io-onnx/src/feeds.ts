import { OnnxDataType } from "./schema.js";
import type { OnnxModel, OnnxValueInfo } from "./types.js";

/** One input to feed: name, shape, values. */
export interface OnnxFeed {
  readonly name: string;
  readonly shape: readonly number[];
  /** A `Uint8Array` of 0/1 feeds a bool input. */
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** One output of a run, as float32. */
export interface OnnxOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The graph inputs a caller feeds (initializers excluded), with their element types and shapes. */
export function onnxInputSpecs(model: OnnxModel): readonly OnnxValueInfo[] {
  return model.inputs;
}

/** ONNX element types quantforge can feed with random inputs. */
export function feedableType(elemType: number): "float32" | "int32" | "int64" | "bool" | null {
  if (elemType === OnnxDataType.FLOAT) return "float32";
  if (elemType === OnnxDataType.INT32) return "int32";
  if (elemType === OnnxDataType.INT64) return "int64";
  if (elemType === OnnxDataType.BOOL) return "bool";
  return null;
}
