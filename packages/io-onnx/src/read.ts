import { dirname } from "node:path";
import type protobuf from "protobufjs";
import { FormatError, fromFloat16Bits, printable, type WeightSet, type WeightTensor } from "@quantforge/core";
import { openRegularFile, readRegularFile, resolveContained } from "@quantforge/core/node";
import { walkGraphs, wireInt, type ConstantValue, type OnnxGraph, type OnnxNode } from "./graph.js";
import { ONNX_ELEMENT_BYTES, OnnxDataType, onnxTypes, toNumber } from "./schema.js";
import { tagWeights, type OnnxWeightTags } from "./tags.js";
import { malformed, scanFields, type WireField } from "./wire.js";

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
  readonly external?: { readonly path: string; readonly offset: number; readonly length: number };
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

function decode<T>(type: protobuf.Type, buf: Uint8Array, f: WireField, where: string, what: string): T {
  if (f.wire !== 2) throw malformed(where, `${what} has wire type ${f.wire}, not a message`);
  try {
    return type.decode(buf.subarray(f.valueStart, f.end)) as unknown as T;
  } catch (e) {
    throw malformed(where, `a ${what} cannot be decoded (${(e as Error).message})`, e);
  }
}

function valueInfo(m: { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: unknown; dim_param?: string }[] } } } }): OnnxValueInfo {
  const tt = m.type?.tensor_type;
  const dims = tt?.shape?.dim;
  const names = (dims ?? []).map((d) => (d.dim_param ? d.dim_param : null));
  return {
    ...(names.some((n) => n !== null) ? { dimNames: names } : {}),
    name: m.name ?? "",
    elemType: tt?.elem_type ?? 0,
    shape: tt?.shape === undefined ? null : (dims ?? []).map((d) => {
      const v = d.dim_value === undefined || d.dim_value === null ? NaN : toNumber(d.dim_value);
      return Number.isSafeInteger(v) && v > 0 ? v : null;
    }),
  };
}

/** True for initializers quantforge treats as weights (FLOAT and FLOAT16 tensors). */
export function isWeightInitializer(i: OnnxInitializer): boolean {
  return i.dataType === OnnxDataType.FLOAT || i.dataType === OnnxDataType.FLOAT16;
}

/**
 * Reads and validates an ONNX model (a regular file, read without blocking on FIFOs): ModelProto
 * and every graph are walked on the wire, every tensor quantforge reads is decoded and checked
 * (dims, data type, data size in `raw_data`, `float_data` or `int32_data`, external data
 * location inside the model's folder and size).
 *
 * @param path - The `.onnx` file.
 * @throws {IoError} When the file cannot be read or is not a regular file.
 * @throws {FormatError} On a broken protobuf encoding, a missing graph, or a tensor whose
 *   data do not match its dims and type.
 * @example
 * const m = await readOnnxModel("model.onnx");
 * for (const t of await loadOnnxWeights("model.onnx")) console.log(t.name, t.shape);
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  const bytes = await readRegularFile(path, { what: "ONNX model", maxBytes: MAX_ONNX_FILE_BYTES });
  return parseOnnxModel(bytes, path);
}

/** Checks a TensorProto's dims and data against each other (and its external file), before anything is allocated. */
async function checkTensor(m: TensorMessage, where: string, dir: string, externalSizes: Map<string, number>): Promise<{ dims: number[]; dataType: number; count: number; external?: OnnxInitializer["external"] }> {
  const dims = (m.dims ?? []).map(toNumber);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new FormatError(`${where} has invalid dims [${dims.join(", ")}]. Re-export the model.`);
  const dataType = m.data_type ?? 0;
  let count = 1;
  for (const d of dims) count *= d;
  if (!Number.isSafeInteger(count)) throw new FormatError(`${where} declares dims [${dims.join(", ")}], more elements than any file can hold. Re-export the model.`);
  const size = ONNX_ELEMENT_BYTES[dataType];
  const isFloat = dataType === OnnxDataType.FLOAT || dataType === OnnxDataType.FLOAT16;
  if (isFloat && count > MAX_TENSOR_ELEMENTS) throw new FormatError(`${where} declares ${count} elements, more than quantforge's limit of ${MAX_TENSOR_ELEMENTS} per tensor.`);
  if (m.data_location === 1) {
    const kv = new Map((m.external_data ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
    const loc = kv.get("location") ?? "";
    const offset = kv.has("offset") ? Number(kv.get("offset")) : 0;
    const length = kv.has("length") ? Number(kv.get("length")) : (size ?? 0) * count;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new FormatError(`${where} has an invalid external offset/length. Re-export the model.`);
    if (size !== undefined && length !== size * count) throw new FormatError(`${where} declares ${length} external bytes but dims [${dims.join(", ")}] need ${size * count}. Re-export the model.`);
    const file = await resolveContained(dir, loc, "external data");
    let st = externalSizes.get(file);
    if (st === undefined) {
      const f = await openRegularFile(file, { what: "external data" });
      st = f.size;
      await f.handle.close();
      externalSizes.set(file, st);
    }
    if (offset + length > st) throw new FormatError(`${where}: its external data run past the end of "${printable(loc)}". The file is truncated; re-export the model.`);
    return { dims, dataType, count, external: { path: file, offset, length } };
  }
  if (isFloat) {
    const raw = m.raw_data;
    if (raw && raw.length > 0) {
      if (raw.length !== count * size!) throw new FormatError(`${where} has ${raw.length} bytes of raw_data but dims [${dims.join(", ")}] need ${count * size!}. Re-export the model.`);
    } else {
      const have = dataType === OnnxDataType.FLOAT ? (m.float_data?.length ?? 0) : (m.int32_data?.length ?? 0);
      if (have !== count) throw new FormatError(`${where} has ${have} values in ${dataType === OnnxDataType.FLOAT ? "float_data" : "int32_data"} but dims [${dims.join(", ")}] need ${count}. Re-export the model.`);
    }
  } else if (dataType === 0 || (size === undefined && dataType !== OnnxDataType.STRING)) {
    throw new FormatError(`${where} has an unknown data type ${dataType}. quantforge reads ONNX data types 1–20.`);
  }
  return { dims, dataType, count };
}

/**
 * Parses ONNX model bytes (see {@link readOnnxModel}); `path` names the file in messages and
 * locates external data (only inside its folder).
 */
export async function parseOnnxModel(bytes: Uint8Array, path: string): Promise<OnnxModel> {
  const T = onnxTypes();
  const where0 = printable(path);
  const modelFields = scanFields(bytes, 0, bytes.length, where0);
  const graphFieldsOfModel = modelFields.filter((f) => f.field === 7);
  if (graphFieldsOfModel.length !== 1) throw malformed(where0, graphFieldsOfModel.length === 0 ? "it has no graph" : "it has more than one graph field");
  const graphField = graphFieldsOfModel[0]!;
  if (graphField.wire !== 2) throw malformed(where0, "the graph field is not a message");
  let opset = 0, irVersion = 0;
  for (const f of modelFields) {
    if (f.field === 8) {
      const o = decode<{ domain?: string; version?: unknown }>(T.OperatorSetIdProto, bytes, f, where0, "opset import");
      if (!o.domain || o.domain === "ai.onnx") opset = toNumber(o.version ?? 0) || 0;
    } else if (f.field === 1 && f.wire === 0) {
      irVersion = wireInt(bytes, f);
    }
  }
  const graphs = walkGraphs(bytes, graphField, where0);
  const main = graphs[0]!;
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const dir = dirname(path);
  const externalSizes = new Map<string, number>();
  // Every name the main graph defines: subgraph tensors get names that cannot collide with them.
  const taken = new Set<string>();
  for (const n of main.nodes) for (const o of n.outputs) taken.add(o);
  const pending: { f: WireField; g: OnnxGraph; constant?: ConstantValue }[] = [];
  for (const g of graphs) {
    for (const f of g.fields) {
      if (f.field === 5) pending.push({ f, g });
      else if (g.id === 0 && (f.field === 11 || f.field === 12)) {
        const v = valueInfo(decode(T.ValueInfoProto, bytes, f, where0, f.field === 11 ? "graph input" : "graph output"));
        (f.field === 11 ? inputs : outputs).push(v);
      }
    }
    for (const c of g.constants) pending.push({ f: c.tensor, g, constant: c });
  }
  // Main-graph initializers first (their names are kept as they are), then the rest in walk order.
  const mainInitNames = new Set<string>();
  for (const p of pending) {
    const m = decode<TensorMessage>(T.TensorProto, bytes, p.f, where0, p.constant ? "Constant value" : "initializer");
    const localName = p.constant ? (p.constant.node.outputs[0] ?? "") : (m.name ?? "");
    const label = p.constant ? `Constant "${printable(localName)}"` : `initializer "${printable(localName)}"`;
    const where = `${where0}: ${p.g.scope ? `subgraph ${printable(p.g.scope)}: ` : ""}${label}`;
    if (!localName) throw malformed(where0, p.constant ? `a Constant node has no output` : `initializer #${initializers.length} has no name`);
    const isMainInit = p.g.id === 0 && !p.constant;
    const dataType = m.data_type ?? 0;
    if (!isMainInit && dataType !== OnnxDataType.FLOAT && dataType !== OnnxDataType.FLOAT16) continue;
    if (isMainInit) {
      if (mainInitNames.has(localName)) throw malformed(where0, `two initializers are named "${printable(localName)}"`);
      mainInitNames.add(localName);
    }
    const checked = await checkTensor(m, where, dir, externalSizes);
    const containers = p.constant ? [...p.g.containers, p.constant.node.wire!, p.constant.attr] : p.g.containers;
    initializers.push({
      index: 0, name: "", localName, kind: p.constant ? "constant" : "initializer", graph: p.g.id, dims: checked.dims, dataType: checked.dataType, count: checked.count,
      wire: p.f, containers, message: m, ...(p.constant ? { constant: p.constant } : {}), ...(checked.external ? { external: checked.external } : {}),
    });
  }
  for (const n of mainInitNames) taken.add(n);
  // Names: main graph tensors keep theirs; subgraph tensors are named by where they are.
  const named = initializers.map((i, index): OnnxInitializer => {
    if (i.graph === 0) return { ...i, index, name: i.localName };
    const want = `${graphs[i.graph]!.scope}/${i.localName}`;
    let name = want;
    for (let k = 2; taken.has(name); k++) name = `${want}#${k}`;
    taken.add(name);
    return { ...i, index, name };
  });
  named.sort((a, b) => (a.kind === "initializer" && a.graph === 0 ? 0 : 1) - (b.kind === "initializer" && b.graph === 0 ? 0 : 1) || a.index - b.index);
  const final = named.map((i, index) => ({ ...i, index }));
  const graphInputNames = new Set(inputs.map((i) => i.name));
  const feedInputs = inputs.filter((i) => !mainInitNames.has(i.name));
  let fileBytes = bytes.length;
  for (const s of externalSizes.values()) fileBytes += s;
  return {
    path, bytes, modelFields, graphField, graphFields: main.fields, initializers: final, nodes: main.nodes, graphs, inputs: feedInputs, outputs, graphInputNames, opset, irVersion, fileBytes,
    tags: tagWeights(graphs, final.map((i) => ({ name: i.name, localName: i.localName, graph: i.graph, rank: i.dims.length }))),
  };
}

/** The raw little-endian bytes of an initializer stored in raw_data or externally (null for typed fields). */
export async function initializerRawBytes(init: OnnxInitializer): Promise<Uint8Array | null> {
  if (init.external) {
    const { path, offset, length } = init.external;
    // Re-opened through the policy (regular file, no FIFO): the file may have changed since parsing.
    const f = await openRegularFile(path, { what: "external data" });
    try {
      if (offset + length > f.size) throw new FormatError(`the external data of "${printable(init.name)}" are truncated. Re-export the model.`);
      const out = new Uint8Array(length);
      let got = 0;
      while (got < out.length) {
        const r = await f.handle.read(out, got, out.length - got, offset + got);
        if (r.bytesRead === 0) throw new FormatError(`the external data of "${printable(init.name)}" are truncated. Re-export the model.`);
        got += r.bytesRead;
      }
      return out;
    } finally {
      await f.handle.close();
    }
  }
  const raw = init.message.raw_data;
  return raw && raw.length > 0 ? raw : null;
}

/**
 * Decodes a FLOAT or FLOAT16 initializer to float32 (FLOAT16 is widened exactly).
 *
 * @throws {FormatError} When the initializer is not FLOAT or FLOAT16.
 */
export async function initializerValues(init: OnnxInitializer): Promise<Float32Array> {
  const raw = await initializerRawBytes(init);
  const out = new Float32Array(init.count);
  if (init.dataType === OnnxDataType.FLOAT) {
    if (raw) {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
    } else {
      const d = init.message.float_data ?? [];
      for (let i = 0; i < out.length; i++) out[i] = d[i]!;
    }
    return out;
  }
  if (init.dataType === OnnxDataType.FLOAT16) {
    if (raw) {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = fromFloat16Bits(v.getUint16(i * 2, true));
    } else {
      const d = init.message.int32_data ?? [];
      for (let i = 0; i < out.length; i++) out[i] = fromFloat16Bits(d[i]! & 0xffff);
    }
    return out;
  }
  throw new FormatError(`initializer "${printable(init.name)}" has data type ${init.dataType}; only FLOAT (1) and FLOAT16 (10) initializers are weights.`);
}

/** One FLOAT/FLOAT16 initializer as a tagged float32 weight tensor. */
export async function readOnnxTensor(model: OnnxModel, init: OnnxInitializer): Promise<WeightTensor> {
  const data = await initializerValues(init);
  return { name: init.name, shape: [...init.dims], data, ...(model.tags.get(init.name) ?? {}) };
}

/** Yields the FLOAT/FLOAT16 initializers one at a time, in file order. */
export async function* streamOnnxWeights(model: OnnxModel): AsyncGenerator<WeightTensor, void, undefined> {
  for (const i of model.initializers) if (isWeightInitializer(i)) yield await readOnnxTensor(model, i);
}

/**
 * Loads every FLOAT/FLOAT16 initializer of an ONNX model as float32 weights, tagged with their
 * role (Gemm/MatMul/Conv weight operands are `weight`s, their bias operands `bias`es).
 */
export async function loadOnnxWeights(path: string): Promise<WeightSet> {
  const m = await readOnnxModel(path);
  const out: WeightTensor[] = [];
  for await (const t of streamOnnxWeights(m)) out.push(t);
  return out;
}
