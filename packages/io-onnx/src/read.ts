import { open, readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import protobuf from "protobufjs";
import { FormatError, IoError, fromFloat16Bits, shapeSize, type LayerKind, type TensorRole, type WeightSet, type WeightTensor } from "@quantforge/core";
import { ONNX_ELEMENT_BYTES, OnnxDataType, onnxTypes, toNumber } from "./schema.js";

/** One protobuf field occurrence on the wire: its number and byte ranges. */
export interface WireField {
  readonly field: number;
  readonly wire: number;
  /** Offset of the tag. */
  readonly start: number;
  /** Offset of the value (after the length prefix for length-delimited fields). */
  readonly valueStart: number;
  /** Offset one past the field. */
  readonly end: number;
}

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

/** One graph initializer. */
export interface OnnxInitializer {
  /** Position among the graph's initializers. */
  readonly index: number;
  readonly name: string;
  readonly dims: readonly number[];
  /** ONNX `TensorProto.DataType`. */
  readonly dataType: number;
  readonly count: number;
  /** The GraphProto field it was read from. */
  readonly wire: WireField;
  /** The decoded message. */
  readonly message: TensorMessage;
  /** Absolute path of its external data file, when stored outside the model. */
  readonly external?: { readonly path: string; readonly offset: number; readonly length: number };
}

/** A graph node (the fields quantforge needs). */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Integer attributes (e.g. Gemm's `transB`), by name. */
  readonly ints?: Readonly<Record<string, number>>;
}

/** A graph input or output with its tensor type. */
export interface OnnxValueInfo {
  readonly name: string;
  /** ONNX element type (0 when not a tensor). */
  readonly elemType: number;
  /** Dimensions; null for symbolic or unknown ones. Null when the rank is unknown. */
  readonly shape: readonly (number | null)[] | null;
}

/** Role, layer and layer kind of an initializer, from how the graph uses it. */
export interface OnnxWeightTags {
  readonly role: TensorRole;
  readonly layer?: string;
  readonly layerKind?: LayerKind;
  /** Output-channel axis (negative counts from the end); see core's `WeightTensor.outputAxis`. */
  readonly outputAxis?: number;
  /** Input-channel axis (negative counts from the end). */
  readonly inputAxis?: number;
}

/**
 * A validated ONNX model: the file's bytes, the wire layout of ModelProto and GraphProto, every
 * initializer decoded, the nodes, inputs and outputs. Writers rebuild the file from these
 * ranges, so everything quantforge does not replace stays byte for byte.
 */
export interface OnnxModel {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Top-level ModelProto fields. */
  readonly modelFields: readonly WireField[];
  /** The GraphProto field (7) of ModelProto. */
  readonly graphField: WireField;
  /** Fields of the GraphProto, in file order. */
  readonly graphFields: readonly WireField[];
  readonly initializers: readonly OnnxInitializer[];
  readonly nodes: readonly OnnxNode[];
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

function malformed(where: string, what: string, cause?: unknown): FormatError {
  return new FormatError(`${where} is not a valid ONNX model: ${what}. Re-export it (e.g. torch.onnx.export or onnx.save).`, cause);
}

/** Lists the fields of one protobuf message on the wire; malformed input is a FormatError. */
export function scanFields(buf: Uint8Array, start: number, end: number, where: string): WireField[] {
  const r = protobuf.Reader.create(buf.subarray(start, end));
  const out: WireField[] = [];
  try {
    while (r.pos < r.len) {
      const tagStart = r.pos;
      const tag = r.uint32();
      const field = tag >>> 3, wire = tag & 7;
      if (field === 0) throw new Error(`field number 0 at byte ${start + tagStart}`);
      let valueStart = r.pos;
      if (wire === 2) {
        const len = r.uint32();
        valueStart = r.pos;
        if (len > r.len - r.pos) throw new Error(`a length of ${len} runs past the end at byte ${start + valueStart}`);
        r.skip(len);
      } else if (wire === 0 || wire === 1 || wire === 5) {
        r.skipType(wire);
      } else {
        throw new Error(`unsupported wire type ${wire} at byte ${start + tagStart}`);
      }
      out.push({ field, wire, start: start + tagStart, valueStart: start + valueStart, end: start + r.pos });
    }
  } catch (e) {
    throw malformed(where, `the protobuf encoding is broken (${(e as Error).message})`, e);
  }
  return out;
}

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
  return {
    name: m.name ?? "",
    elemType: tt?.elem_type ?? 0,
    shape: tt?.shape === undefined ? null : (dims ?? []).map((d) => {
      const v = d.dim_value === undefined || d.dim_value === null ? NaN : toNumber(d.dim_value);
      return Number.isSafeInteger(v) && v > 0 ? v : null;
    }),
  };
}

const MATMUL_OPS = new Set(["Gemm", "MatMul", "MatMulInteger"]);
const CONV_OPS = new Set(["Conv", "ConvTranspose", "ConvInteger"]);

function tagInitializers(nodes: readonly OnnxNode[], inits: readonly OnnxInitializer[]): Map<string, OnnxWeightTags> {
  const uses = new Map<string, { node: OnnxNode; index: number }[]>();
  for (const n of nodes) n.inputs.forEach((x, index) => { if (x) { const l = uses.get(x) ?? []; l.push({ node: n, index }); uses.set(x, l); } });
  const out = new Map<string, OnnxWeightTags>();
  for (const init of inits) {
    let tag: OnnxWeightTags = { role: "other" };
    for (const { node, index } of uses.get(init.name) ?? []) {
      const layer = node.name || node.outputs[0] || node.opType;
      // Channel axes (ONNX layouts): MatMul B [.., K, N] → output −1; Gemm B [K, N], or [N, K] with
      // transB; Conv W [M, C/g, kh, kw] → output 0; ConvTranspose W [C, M/g, kh, kw] → output 1.
      if (MATMUL_OPS.has(node.opType) && index === 1) {
        const axes = node.opType === "Gemm" && node.ints?.transB === 1 ? { outputAxis: -2, inputAxis: -1 } : { outputAxis: -1, inputAxis: -2 };
        tag = { role: "weight", layer, layerKind: "dense", ...axes }; break;
      }
      if (CONV_OPS.has(node.opType) && index === 1) {
        const axes = node.opType === "ConvTranspose" ? { outputAxis: 1, inputAxis: 0 } : { outputAxis: 0, inputAxis: 1 };
        tag = { role: "weight", layer, layerKind: "conv2d", ...axes }; break;
      }
      if ((node.opType === "Gemm" || CONV_OPS.has(node.opType)) && index === 2) tag = { role: "bias", layer, layerKind: node.opType === "Gemm" ? "dense" : "conv2d" };
      else if (node.opType === "Add" && index === 1 && init.dims.length === 1 && tag.role === "other") tag = { role: "bias", layer };
    }
    out.set(init.name, tag);
  }
  return out;
}

/** True for initializers quantforge treats as weights (FLOAT and FLOAT16 tensors). */
export function isWeightInitializer(i: OnnxInitializer): boolean {
  return i.dataType === OnnxDataType.FLOAT || i.dataType === OnnxDataType.FLOAT16;
}

/**
 * Reads and validates an ONNX model: ModelProto and GraphProto are walked on the wire, every
 * initializer is decoded and checked (dims, data type, data size in `raw_data`, `float_data`
 * or `int32_data`, external data location and size).
 *
 * @param path - The `.onnx` file.
 * @throws {IoError} When the file cannot be read.
 * @throws {FormatError} On a broken protobuf encoding, a missing graph, or an initializer whose
 *   data do not match its dims and type.
 * @example
 * const m = await readOnnxModel("model.onnx");
 * for (const t of await loadOnnxWeights("model.onnx")) console.log(t.name, t.shape);
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new IoError(`cannot read "${path}": ${(e as Error).message}. Check the path.`, e);
  }
  return parseOnnxModel(bytes, path);
}

/**
 * Parses ONNX model bytes (see {@link readOnnxModel}); `path` names the file in messages and
 * locates external data.
 */
export async function parseOnnxModel(bytes: Uint8Array, path: string): Promise<OnnxModel> {
  const T = onnxTypes();
  const modelFields = scanFields(bytes, 0, bytes.length, path);
  const graphs = modelFields.filter((f) => f.field === 7);
  if (graphs.length !== 1) throw malformed(path, graphs.length === 0 ? "it has no graph" : "it has more than one graph field");
  const graphField = graphs[0]!;
  if (graphField.wire !== 2) throw malformed(path, "the graph field is not a message");
  let opset = 0, irVersion = 0;
  for (const f of modelFields) {
    if (f.field === 8) {
      const o = decode<{ domain?: string; version?: unknown }>(T.OperatorSetIdProto, bytes, f, path, "opset import");
      if (!o.domain || o.domain === "ai.onnx") opset = toNumber(o.version ?? 0) || 0;
    } else if (f.field === 1 && f.wire === 0) {
      irVersion = toNumber(protobuf.Reader.create(bytes.subarray(f.valueStart, f.end)).int64());
    }
  }
  const graphFields = scanFields(bytes, graphField.valueStart, graphField.end, path);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const names = new Set<string>();
  const dir = dirname(path);
  let fileBytes = bytes.length;
  const externalFiles = new Set<string>();
  for (const f of graphFields) {
    if (f.field === 1) {
      const n = decode<{ name?: string; op_type?: string; domain?: string; input?: string[]; output?: string[]; attribute?: { name?: string; i?: number | { toNumber(): number }; type?: number }[] }>(T.NodeProto, bytes, f, path, "node");
      const ints: Record<string, number> = {};
      for (const a of n.attribute ?? []) if (a.name && a.type === 2 && a.i !== undefined) ints[a.name] = typeof a.i === "number" ? a.i : a.i.toNumber();
      nodes.push({ name: n.name ?? "", opType: n.op_type ?? "", domain: n.domain ?? "", inputs: n.input ?? [], outputs: n.output ?? [], ints });
    } else if (f.field === 11 || f.field === 12) {
      const v = valueInfo(decode(T.ValueInfoProto, bytes, f, path, f.field === 11 ? "graph input" : "graph output"));
      (f.field === 11 ? inputs : outputs).push(v);
    } else if (f.field === 5) {
      const m = decode<TensorMessage>(T.TensorProto, bytes, f, path, "initializer");
      const name = m.name ?? "";
      const where = `${path}: initializer "${name}"`;
      if (!name) throw malformed(path, `initializer #${initializers.length} has no name`);
      if (names.has(name)) throw malformed(path, `two initializers are named "${name}"`);
      names.add(name);
      const dims = (m.dims ?? []).map(toNumber);
      if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new FormatError(`${where} has invalid dims [${dims.join(", ")}]. Re-export the model.`);
      const dataType = m.data_type ?? 0;
      const count = shapeSize(dims);
      const size = ONNX_ELEMENT_BYTES[dataType];
      let external: OnnxInitializer["external"];
      if (m.data_location === 1) {
        const kv = new Map((m.external_data ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
        const loc = kv.get("location");
        if (!loc || isAbsolute(loc)) throw new FormatError(`${where} is stored externally without a relative "location". Re-export the model with its external data.`);
        const offset = kv.has("offset") ? Number(kv.get("offset")) : 0;
        const length = kv.has("length") ? Number(kv.get("length")) : (size ?? 0) * count;
        if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new FormatError(`${where} has an invalid external offset/length. Re-export the model.`);
        if (size !== undefined && length !== size * count) throw new FormatError(`${where} declares ${length} external bytes but dims [${dims.join(", ")}] need ${size * count}. Re-export the model.`);
        const file = resolve(dir, loc);
        let st: number;
        try {
          st = (await stat(file)).size;
        } catch (e) {
          throw new FormatError(`${where} is stored in "${loc}", which is missing. Copy the external data file next to the model.`, e);
        }
        if (offset + length > st) throw new FormatError(`${where}: its external data run past the end of "${loc}". The file is truncated; re-export the model.`);
        if (!externalFiles.has(file)) { externalFiles.add(file); fileBytes += st; }
        external = { path: file, offset, length };
      } else if (dataType === OnnxDataType.FLOAT || dataType === OnnxDataType.FLOAT16) {
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
      initializers.push({ index: initializers.length, name, dims, dataType, count, wire: f, message: m, ...(external ? { external } : {}) });
    }
  }
  const graphInputNames = new Set(inputs.map((i) => i.name));
  const feedInputs = inputs.filter((i) => !names.has(i.name));
  return {
    path, bytes, modelFields, graphField, graphFields, initializers, nodes, inputs: feedInputs, outputs, graphInputNames, opset, irVersion, fileBytes,
    tags: tagInitializers(nodes, initializers),
  };
}

/** The raw little-endian bytes of an initializer stored in raw_data or externally (null for typed fields). */
export async function initializerRawBytes(init: OnnxInitializer): Promise<Uint8Array | null> {
  if (init.external) {
    const out = new Uint8Array(init.external.length);
    const fh = await open(init.external.path, "r").catch((e: unknown) => { throw new IoError(`cannot read "${init.external!.path}": ${(e as Error).message}.`, e); });
    try {
      let got = 0;
      while (got < out.length) {
        const r = await fh.read(out, got, out.length - got, init.external.offset + got);
        if (r.bytesRead === 0) throw new FormatError(`the external data of "${init.name}" are truncated. Re-export the model.`);
        got += r.bytesRead;
      }
    } finally {
      await fh.close();
    }
    return out;
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
  throw new FormatError(`initializer "${init.name}" has data type ${init.dataType}; only FLOAT (1) and FLOAT16 (10) initializers are weights.`);
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
