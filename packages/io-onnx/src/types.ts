import type { ConstantValue, OnnxGraph, OnnxNode } from "./graph.js";
import { OnnxDataType } from "./schema.js";
import type { OnnxWeightTags } from "./tags.js";
import type { WireField } from "./wire.js";

export { scanFields } from "./wire.js";
export type { WireField } from "./wire.js";
export type { OnnxNode, OnnxGraph } from "./graph.js";
export type { OnnxWeightTags } from "./tags.js";

/** The decoded TensorProto fields quantforge uses. */
export interface TensorMessage {
  dims?: unknown[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  raw_data?: Uint8Array;
  name?: string;
  doc_string?: string;
  external_data?: { key?: string; value?: string }[];
  data_location?: number;
  [k: string]: unknown;
}

/**
 * One tensor of the model that quantforge reads: a graph initializer (any type, main graph),
 * or a FLOAT/FLOAT16 tensor held by a `Constant` node or by a subgraph (`If`/`Loop`/`Scan`
 * bodies, as initializer or `Constant`). All are written back where they were found.
 */
export interface OnnxInitializer {
  /** Position in {@link OnnxModel.initializers}. */
  readonly index: number;
  /**
   * Unique, stable name across the model: a main-graph initializer's own name, a main-graph
   * Constant's output name, or `<node>/<attribute>/<name>` for a tensor inside a subgraph
   * (suffixed `#2`, `#3`, … in the rare case that collides).
   */
  readonly name: string;
  /** The name the graph that holds it uses (initializer name or Constant output). */
  readonly localName: string;
  /** Where the tensor is stored. */
  readonly kind: "initializer" | "constant";
  /** The graph holding it ({@link OnnxModel.graphs} index; 0 = main graph). */
  readonly graph: number;
  readonly dims: readonly number[];
  /** ONNX `TensorProto.DataType`. */
  readonly dataType: number;
  readonly count: number;
  /** The TensorProto field: GraphProto field 5, or the Constant's AttributeProto field 5. */
  readonly wire: WireField;
  /** Length-delimited fields enclosing `wire`, outermost first (ModelProto's graph field first). */
  readonly containers: readonly WireField[];
  /** For `constant`s: the node and its attribute. */
  readonly constant?: ConstantValue;
  /** The decoded message. */
  readonly message: TensorMessage;
  /** Real path of its external data file (inside the model's folder), when stored outside the model. */
  readonly external?: { readonly path: string; readonly offset: number; readonly length: number; readonly files: OnnxExternalFiles };
}

/** A graph input or output with its tensor type. */
export interface OnnxValueInfo {
  readonly name: string;
  /** ONNX element type (0 when not a tensor). */
  readonly elemType: number;
  /** Dimensions; null for symbolic or unknown ones. Null when the rank is unknown. */
  readonly shape: readonly (number | null)[] | null;
  /** Symbolic names (`dim_param`) per dimension, null where none; absent when no dimension has one. */
  readonly dimNames?: readonly (string | null)[];
}

/**
 * A validated ONNX model: the file's bytes, the wire layout of ModelProto and of every graph,
 * every weight tensor located, the nodes, inputs and outputs. Writers rebuild the file from
 * these ranges, so everything quantforge does not replace stays byte for byte.
 */
export interface OnnxModel {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Top-level ModelProto fields. */
  readonly modelFields: readonly WireField[];
  /** The GraphProto field (7) of ModelProto. */
  readonly graphField: WireField;
  /** Fields of the main GraphProto, in file order. */
  readonly graphFields: readonly WireField[];
  /** Main graph initializers (every type), then FLOAT/FLOAT16 Constant and subgraph tensors, in file order. */
  readonly initializers: readonly OnnxInitializer[];
  /** Nodes of the main graph. */
  readonly nodes: readonly OnnxNode[];
  /** The main graph (id 0) and every subgraph, breadth first. */
  readonly graphs: readonly OnnxGraph[];
  /** Graph inputs that are not initializers (what a caller feeds). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Names of every graph input, initializers included (older IRs list both). */
  readonly graphInputNames: ReadonlySet<string>;
  /** Opset version of the default (ai.onnx) domain, 0 when absent. */
  readonly opset: number;
  readonly irVersion: number;
  /** Size of the model on disk (external data files included). */
  readonly fileBytes: number;
  readonly tags: ReadonlyMap<string, OnnxWeightTags>;
}

/** Largest model file read (2 GiB: the protobuf limit). */
export const MAX_ONNX_FILE_BYTES = 2 ** 31;
/** Most elements one float tensor may declare (a Float32Array of it is ≤ 8 GiB). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Where the external data of a model come from: the model file's folder in Node (see
 * `readOnnxModel`); nowhere in the browser, which reads one `.onnx` file (`null`: external
 * data are a {@link FormatError}).
 */
export interface OnnxExternalFiles {
  /** Resolves `location` (relative to the model at `modelPath`, contained in its folder) to a file and its size. */
  stat(modelPath: string, location: string): Promise<{ readonly file: string; readonly size: number }>;
  /** Reads `length` bytes at `offset` of `file` (a {@link FormatError} when the file is shorter). */
  read(file: string, offset: number, length: number, what: string): Promise<Uint8Array>;
}

/** True for initializers quantforge treats as weights (FLOAT and FLOAT16 tensors). */
export function isWeightInitializer(i: OnnxInitializer): boolean {
  return i.dataType === OnnxDataType.FLOAT || i.dataType === OnnxDataType.FLOAT16;
}
