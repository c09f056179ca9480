/**
 * A minimal protobuf wire walker for ONNX files, written here on purpose (not quantforge's
 * io-onnx) so the corpus's checks stay independent of the code they check. It finds every float
 * tensor a model holds — graph initializers, `Constant` node values, and both inside subgraphs
 * (`If`/`Loop`/`Scan` attributes) — and rewrites chosen ones, keeping every other byte.
 * Field numbers are onnx.proto's: ModelProto.graph 7; GraphProto.node 1, initializer 5;
 * NodeProto.output 2, op_type 4, attribute 5; AttributeProto.name 1, t 5, g 6, graphs 11;
 * TensorProto.dims 1, data_type 2, float_data 4, name 8, raw_data 9, double_data 10.
 */
import { concat, encodeVarint, fields, readVarint, str, withValue } from "./proto-wire.js";

/** ONNX TensorProto data types holding floating-point values. */
export const FLOAT_TYPES: ReadonlyMap<number, string> = new Map([
  [1, "float32"],
  [10, "float16"],
  [11, "float64"],
  [16, "bfloat16"],
]);

/** A float tensor found in a model: its key (initializer name or Constant output), shape, type. */
export interface OnnxFloatTensor {
  name: string;
  dims: number[];
  dataType: string;
  where: "initializer" | "constant";
  /** 0 for the main graph, ≥ 1 inside subgraphs. */
  depth: number;
}

function tensorInfo(buf: Uint8Array): { name: string; dims: number[]; dataType: number } {
  let name = "";
  const dims: number[] = [];
  let dataType = 0;
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 0) dims.push(Number(BigInt.asIntN(64, f.varint)));
    else if (f.no === 1 && f.wire === 2) {
      let p = f.valueStart;
      while (p < f.valueEnd) {
        const [v, np] = readVarint(buf, p);
        dims.push(Number(BigInt.asIntN(64, v)));
        p = np;
      }
    } else if (f.no === 2 && f.wire === 0) dataType = Number(f.varint);
    else if (f.no === 8 && f.wire === 2) name = str(buf, f);
  }
  return { name, dims, dataType };
}

/** Replaces a tensor's bytes; returns null to keep it. `key` is the initializer name or the Constant's output. */
export type TensorRewrite = (key: string, tensor: Uint8Array) => Uint8Array | null;

type Visit = (key: string, tensor: Uint8Array, where: "initializer" | "constant", depth: number) => Uint8Array | null;

/**
 * A tensor's key: its name in the main graph; in a subgraph, the subgraph's scope and its name
 * (`If_25/else_branch/680`). The scope is the enclosing scopes, the node's label (its name, else
 * its first output, else `<op>#<index in its graph>`) and the attribute name, with `[k]` for the
 * k-th graph of a `graphs` attribute holding several — the names quantforge's ONNX reader gives
 * subgraph weights (and so the names in its containers), so that decoded tensors map back.
 */
function key(scope: string, name: string): string {
  return scope ? `${scope}/${name}` : name;
}

function walkAttribute(buf: Uint8Array, constantKey: string | null, depth: number, visit: Visit, scope: string, label: string): Uint8Array | null {
  const fs = fields(buf);
  const nameField = fs.find((f) => f.no === 1 && f.wire === 2);
  const attrName = nameField ? str(buf, nameField) : "";
  const many = fs.filter((f) => f.no === 11 && f.wire === 2).length > 1;
  let k = 0;
  let changed = false;
  const parts: Uint8Array[] = [];
  for (const f of fs) {
    let replaced: Uint8Array | null = null;
    const value = buf.subarray(f.valueStart, f.valueEnd);
    if (f.wire === 2 && f.no === 5 && constantKey !== null && attrName === "value") replaced = visit(key(scope, constantKey), value, "constant", depth);
    else if (f.wire === 2 && (f.no === 6 || f.no === 11)) {
      const sub = `${label}/${attrName}${f.no === 11 && many ? `[${k++}]` : ""}`;
      replaced = walkGraph(value, depth + 1, visit, key(scope, sub));
    }
    if (replaced) {
      changed = true;
      parts.push(...withValue(buf, f, replaced));
    } else parts.push(buf.subarray(f.start, f.end));
  }
  return changed ? concat(parts) : null;
}

function walkNode(buf: Uint8Array, depth: number, visit: Visit, scope: string, index: number): Uint8Array | null {
  const fs = fields(buf);
  const op = fs.find((f) => f.no === 4 && f.wire === 2);
  const out0 = fs.find((f) => f.no === 2 && f.wire === 2);
  const nameField = fs.find((f) => f.no === 3 && f.wire === 2);
  const constantKey = op && str(buf, op) === "Constant" && out0 ? str(buf, out0) : null;
  const label = (nameField ? str(buf, nameField) : "") || (out0 ? str(buf, out0) : "") || `${op ? str(buf, op) : ""}#${index}`;
  let changed = false;
  const parts: Uint8Array[] = [];
  for (const f of fs) {
    const replaced = f.no === 5 && f.wire === 2 ? walkAttribute(buf.subarray(f.valueStart, f.valueEnd), constantKey, depth, visit, scope, label) : null;
    if (replaced) {
      changed = true;
      parts.push(...withValue(buf, f, replaced));
    } else parts.push(buf.subarray(f.start, f.end));
  }
  return changed ? concat(parts) : null;
}

function walkGraph(buf: Uint8Array, depth: number, visit: Visit, scope = ""): Uint8Array | null {
  let changed = false;
  const parts: Uint8Array[] = [];
  let nodes = 0;
  for (const f of fields(buf)) {
    let replaced: Uint8Array | null = null;
    const value = buf.subarray(f.valueStart, f.valueEnd);
    if (f.wire === 2 && f.no === 1) replaced = walkNode(value, depth, visit, scope, nodes++);
    else if (f.wire === 2 && f.no === 5) replaced = visit(key(scope, tensorInfo(value).name), value, "initializer", depth);
    if (replaced) {
      changed = true;
      parts.push(...withValue(buf, f, replaced));
    } else parts.push(buf.subarray(f.start, f.end));
  }
  return changed ? concat(parts) : null;
}

function walkModel(model: Uint8Array, visit: Visit): Uint8Array {
  const parts: Uint8Array[] = [];
  let changed = false;
  for (const f of fields(model)) {
    const replaced = f.wire === 2 && f.no === 7 ? walkGraph(model.subarray(f.valueStart, f.valueEnd), 0, visit) : null;
    if (replaced) {
      changed = true;
      parts.push(...withValue(model, f, replaced));
    } else parts.push(model.subarray(f.start, f.end));
  }
  return changed ? concat(parts) : model;
}

/** Every float tensor of an ONNX model (initializers and Constant values, subgraphs included). */
export function onnxFloatTensors(model: Uint8Array): OnnxFloatTensor[] {
  const found: OnnxFloatTensor[] = [];
  walkModel(model, (key, tensor, where, depth) => {
    const info = tensorInfo(tensor);
    const dataType = FLOAT_TYPES.get(info.dataType);
    if (dataType) found.push({ name: key, dims: info.dims, dataType, where, depth });
    return null;
  });
  return found;
}

function float16(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | ((exp << 10) + ((mant + 0x1000) >> 13));
}

/** A TensorProto holding `values` in the given ONNX float type (raw_data, little-endian). */
export function encodeFloatTensor(name: string, dims: number[], dataType: number, values: Float32Array): Uint8Array {
  let raw: Uint8Array;
  if (dataType === 1) raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  else if (dataType === 11) raw = new Uint8Array(Float64Array.from(values).buffer);
  else if (dataType === 10) raw = new Uint8Array(Uint16Array.from(values, float16).buffer);
  else throw new Error(`cannot write ONNX data type ${dataType}`);
  const nameBytes = new TextEncoder().encode(name);
  const parts: number[][] = [];
  for (const d of dims) parts.push([0x08, ...encodeVarint(d)]);
  parts.push([0x10, ...encodeVarint(dataType)]);
  if (nameBytes.length > 0) parts.push([0x42, ...encodeVarint(nameBytes.length), ...nameBytes]);
  const head = new Uint8Array(parts.flat());
  return concat([head, new Uint8Array([0x4a, ...encodeVarint(raw.length)]), raw]);
}

/**
 * Rewrites the model with every float tensor whose key is in `weights` replaced by those values
 * (in the tensor's own type). Returns the bytes and the keys that were replaced.
 */
export function substituteOnnxWeights(model: Uint8Array, weights: ReadonlyMap<string, Float32Array>): { bytes: Uint8Array; replaced: Set<string> } {
  const replaced = new Set<string>();
  const bytes = walkModel(model, (key, tensor) => {
    const values = weights.get(key);
    if (!values) return null;
    const info = tensorInfo(tensor);
    if (!FLOAT_TYPES.has(info.dataType) || info.dataType === 16) return null;
    const count = info.dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) throw new Error(`${key}: ${values.length} decoded values for a tensor of ${count}`);
    replaced.add(key);
    return encodeFloatTensor(info.name, info.dims, info.dataType, values);
  });
  return { bytes, replaced };
}

/**
 * The model's default-domain opset (ModelProto.opset_import, field 8; OperatorSetIdProto domain 1,
 * version 2), or null when none is declared. Decides which quantize targets apply: DequantizeLinear
 * exists from opset 10 on, so `onnx-qdq` is not a target for older models.
 */
export function onnxDefaultOpset(model: Uint8Array): number | null {
  for (const f of fields(model)) {
    if (f.wire !== 2 || f.no !== 8) continue;
    const set = model.subarray(f.valueStart, f.valueEnd);
    let domain = "";
    let version: number | null = null;
    for (const g of fields(set)) {
      if (g.no === 1 && g.wire === 2) domain = str(set, g);
      if (g.no === 2 && g.wire === 0) version = Number(g.varint);
    }
    if (domain === "" || domain === "ai.onnx") return version;
  }
  return null;
}
