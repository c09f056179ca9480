import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  ErrorCodes, IoError, QuantforgeError, ShapeMismatchError, codebookGroupParams, dequantizeTensor, fromFloat16Bits, printable, shapeSize, toFloat16Bits,
  type Codebook, type QuantizedTensor,
} from "@quantforge/core";
import { initializerRawBytes, isWeightInitializer, type OnnxInitializer, type OnnxModel, type TensorMessage } from "./read.js";
import { OnnxDataType, onnxTypes } from "./schema.js";
import { concatBytes, lenField, spliceWire, type WireEdit } from "./wire.js";

/** A quantized tensor that the ONNX target cannot carry (choose another target). */
export class OnnxTargetError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
  }
}

/**
 * How quantized initializers are written:
 * - `onnx`: the decoded weights in the initializer's own data type (FLOAT, or FLOAT16 rounded
 *   to nearest) — the graph is untouched;
 * - `onnx-qdq`: affine 8-bit tensors as a uint8 initializer + scale + zero point feeding a
 *   `DequantizeLinear` node whose output takes the float initializer's name, so every use of
 *   it is replaced without touching the consumers (per-axis for per-channel grids, opset ≥ 13;
 *   blocked on the last axis for per-group grids whose groups tile the last dimension, opset ≥ 21).
 */
export type OnnxTarget = "onnx" | "onnx-qdq";

/** What to write for one initializer. */
export type OnnxWeightOutput =
  | { readonly kind: "float"; readonly data: Float32Array }
  | { readonly kind: "quantized"; readonly tensor: QuantizedTensor; readonly codebook: Codebook };

/** What {@link encodeOnnxModel} produced. */
export interface OnnxWriteResult {
  readonly bytes: Uint8Array;
  /** Initializers written as DequantizeLinear (onnx-qdq). */
  readonly qdq: readonly string[];
  /** Values of FLOAT16 initializers that were not halves and were rounded to the nearest half. */
  readonly roundedToHalf: number;
  /**
   * onnx-qdq: quantized tensors DequantizeLinear cannot express (a non-integer zero point, a
   * levels codebook, …), written as their decoded float values instead, with the reason.
   * Empty with `strict` (those throw) and for the `onnx` target.
   */
  readonly floatFallback: readonly { readonly name: string; readonly reason: string }[];
}

/** Options of {@link encodeOnnxModel}. */
export interface OnnxWriteOptions {
  readonly target: OnnxTarget;
  /**
   * onnx-qdq: throw {@link OnnxTargetError} for a tensor DequantizeLinear cannot express instead
   * of writing its decoded float values (default false: the model is written, the tensor listed
   * in {@link OnnxWriteResult.floatFallback}).
   */
  readonly strict?: boolean;
}

function f32Bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i]!, true);
  return out;
}

/** Re-encodes an initializer with new data (name, dims, doc string and metadata kept). */
function tensorBytes(base: TensorMessage, patch: { name: string | undefined; dims: readonly number[]; dataType: number; raw: Uint8Array }): Uint8Array {
  const { TensorProto } = onnxTypes();
  const msg: TensorMessage = {
    ...(patch.name === undefined ? {} : { name: patch.name }), dims: [...patch.dims], data_type: patch.dataType, raw_data: patch.raw,
    ...(base.doc_string ? { doc_string: base.doc_string } : {}),
    ...(base.metadata_props ? { metadata_props: base.metadata_props } : {}),
  };
  return TensorProto.encode(TensorProto.fromObject(msg)).finish();
}

function uniqueName(taken: Set<string>, want: string): string {
  let name = want;
  for (let k = 1; taken.has(name); k++) name = `${want}_${k}`;
  taken.add(name);
  return name;
}

interface QdqParts {
  readonly initializers: Uint8Array[];
  readonly node: Uint8Array;
}

/** How the scale/zero point of a DequantizeLinear node line up with the quantized tensor. */
interface QdqLayout {
  /** The `axis` attribute (absent for per-tensor). */
  readonly axis?: number;
  /** The `block_size` attribute of blocked quantization (opset ≥ 21). */
  readonly blockSize?: number;
  /** Dims of the scale and zero-point initializers. */
  readonly pdims: readonly number[];
}

const QDQ_HINT = `Use --target onnx (decoded float weights) instead.`;

function perTensorLayout(model: OnnxModel, init: OnnxInitializer): QdqLayout {
  if (model.opset < 10) throw new OnnxTargetError(`DequantizeLinear needs opset 10 or later; the model declares opset ${model.opset} (initializer "${printable(init.name)}"). ${QDQ_HINT}`);
  return { pdims: [] };
}

/** The largest divisor of `n` that is at most `limit` (a group size that fits a last dimension of `n`). */
function largestDivisorAtMost(n: number, limit: number): number {
  for (let d = Math.min(n, limit); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * Per-channel grids are per-axis DequantizeLinear (opset ≥ 13). Per-group grids (runs of `size`
 * consecutive row-major elements) are blocked DequantizeLinear (opset ≥ 21) on the last axis:
 * when the last dimension D is a multiple of `size`, element (…, j) of flat index i lies in
 * group ⌊i/size⌋ = (outer index)·D/size + ⌊j/size⌋, which is exactly ONNX's block of (…, j)
 * with scales shaped [..., D/size] in row-major order.
 */
function groupedLayout(model: OnnxModel, init: OnnxInitializer, t: QuantizedTensor, params: number): QdqLayout {
  const g = t.grouping;
  let layout: QdqLayout;
  if (g.kind === "channel") {
    if (model.opset < 13) throw new OnnxTargetError(`per-axis DequantizeLinear needs opset 13 or later; the model declares opset ${model.opset} (initializer "${printable(init.name)}"). ${QDQ_HINT}`);
    layout = { axis: g.axis, pdims: [params] };
  } else if (g.kind === "group") {
    if (model.opset < 21) {
      throw new OnnxTargetError(`tensor "${printable(init.name)}" has per-group parameters (groups of ${g.size}); that needs blocked DequantizeLinear (block_size), which needs opset 21 or later, but the model declares opset ${model.opset}. Use --target onnx (decoded float weights) or per-channel granularity (--option granularity=channel).`);
    }
    // A rank-0 tensor is one element, one group: it never reaches here (params > 1).
    const last = init.dims.at(-1) ?? 1;
    if (last % g.size !== 0) {
      throw new OnnxTargetError(`tensor "${printable(init.name)}" has shape [${init.dims.join(", ")}]; its groups of ${g.size} consecutive elements are DequantizeLinear blocks only when the last dimension (${last}) is a multiple of the group size. Choose a groupSize that divides ${last} (e.g. --option groupSize=${largestDivisorAtMost(last, g.size)}), or use --target onnx (decoded float weights).`);
    }
    layout = { axis: init.dims.length - 1, blockSize: g.size, pdims: [...init.dims.slice(0, -1), last / g.size] };
  } else {
    throw new ShapeMismatchError(`tensor "${printable(init.name)}" has ${params} parameter sets but a whole-tensor grouping; the codebook does not match the tensor.`);
  }
  if (shapeSize(layout.pdims) !== params) {
    throw new ShapeMismatchError(`tensor "${printable(init.name)}" has ${params} parameter sets but its ${g.kind} grouping over [${init.dims.join(", ")}] makes ${shapeSize(layout.pdims)}.`);
  }
  return layout;
}

/** The DequantizeLinear form of one quantized FLOAT initializer, or an error saying why not. */
function qdq(model: OnnxModel, init: OnnxInitializer, t: QuantizedTensor, cb: Codebook, taken: Set<string>): QdqParts {
  if (init.dataType !== OnnxDataType.FLOAT) throw new OnnxTargetError(`initializer "${printable(init.name)}" is not FLOAT; the DequantizeLinear form is written for FLOAT initializers only. ${QDQ_HINT}`);
  if (cb.kind !== "affine") throw new OnnxTargetError(`tensor "${printable(init.name)}" uses a ${cb.kind} codebook; DequantizeLinear expresses affine grids only. ${QDQ_HINT}`);
  if (cb.levels > 256) throw new OnnxTargetError(`tensor "${printable(init.name)}" has ${cb.levels} levels; the DequantizeLinear form here is 8-bit (at most 256). ${QDQ_HINT}`);
  if (t.sparse) throw new OnnxTargetError(`tensor "${printable(init.name)}" is pruned; write it with --target onnx. ${QDQ_HINT}`);
  const params = codebookGroupParams(cb);
  const layout = params === 1 ? perTensorLayout(model, init) : groupedLayout(model, init, t, params);
  const zp = new Uint8Array(params);
  for (let g = 0; g < params; g++) {
    const z = cb.zeroPoint[g]!;
    if (!Number.isInteger(z) || z < 0 || z > 255) throw new OnnxTargetError(`tensor "${printable(init.name)}" has a zero point ${z} that is not an integer in 0…255; DequantizeLinear's uint8 zero point cannot hold it. ${QDQ_HINT}`);
    zp[g] = z;
    if (!Number.isFinite(cb.scale[g]!)) throw new OnnxTargetError(`tensor "${printable(init.name)}" has a non-finite scale.`);
  }
  const q = new Uint8Array(t.codes.length);
  for (let i = 0; i < q.length; i++) q[i] = t.codes[i]!;
  const qName = uniqueName(taken, `${init.localName}_quantized`);
  const sName = uniqueName(taken, `${init.localName}_scale`);
  const zName = uniqueName(taken, `${init.localName}_zero_point`);
  const nodeName = uniqueName(taken, `${init.localName}_DequantizeLinear`);
  const { axis, blockSize, pdims } = layout;
  const initializers = [
    tensorBytes(init.message, { name: qName, dims: init.dims, dataType: OnnxDataType.UINT8, raw: q }),
    tensorBytes({}, { name: sName, dims: pdims, dataType: OnnxDataType.FLOAT, raw: f32Bytes(Float32Array.from(cb.scale)) }),
    tensorBytes({}, { name: zName, dims: pdims, dataType: OnnxDataType.UINT8, raw: zp }),
  ];
  const { NodeProto } = onnxTypes();
  const node = NodeProto.encode(NodeProto.fromObject({
    input: [qName, sName, zName], output: [init.localName], name: nodeName, op_type: "DequantizeLinear", domain: "",
    ...(axis === undefined ? {} : { attribute: [
      { name: "axis", i: axis, type: 2 },
      ...(blockSize === undefined ? [] : [{ name: "block_size", i: blockSize, type: 2 }]),
    ] }),
  })).finish();
  return { initializers, node };
}

/** Every name any graph of the model uses (values, initializers, nodes): new names must avoid all of them. */
function takenNames(model: OnnxModel): Set<string> {
  const taken = new Set<string>([...model.initializers.map((i) => i.localName), ...model.graphInputNames]);
  for (const g of model.graphs) for (const n of g.nodes) { taken.add(n.name); for (const o of n.outputs) taken.add(o); }
  return taken;
}

/** Where new nodes go in a graph: before its first node (inputs of the new nodes are initializers, so the order stays topological). */
function nodeInsertionPoint(model: OnnxModel, graph: number): number {
  const g = model.graphs[graph]!;
  return g.fields.find((f) => f.field === 1)?.start ?? g.containers.at(-1)!.end;
}

/** The TensorProto field of `init` re-encoded with new raw data (name, dims, type, doc string, metadata kept). */
function replacedTensor(init: OnnxInitializer, dataType: number, raw: Uint8Array): Uint8Array {
  return lenField(init.wire.field, tensorBytes(init.message, { name: init.message.name, dims: init.dims, dataType, raw }));
}

/**
 * Rebuilds an ONNX model with replaced weight tensors, each written where it was found (main
 * graph initializer, `Constant` node, subgraph). Every byte of the model that is not a replaced
 * tensor is copied as it is (other initializers, nodes, attributes, metadata, training info);
 * only the length prefixes of the messages around a replaced tensor change. With `onnx-qdq`, a
 * replaced initializer becomes uint8 + scale + zero point initializers and a DequantizeLinear
 * node placed first in its graph's node list, whose output takes the initializer's name (a
 * main-graph name also leaves the graph's input list); a replaced `Constant` node becomes those
 * initializers and the DequantizeLinear node, in the same place. Initializers stored as
 * external data are inlined (the output is one self-contained file).
 *
 * A quantized tensor that DequantizeLinear cannot express is written as its decoded floats and
 * listed in `floatFallback` (unless `strict`).
 *
 * @throws {OnnxTargetError} With `strict`, when a quantized tensor does not fit `onnx-qdq`.
 * @throws {ShapeMismatchError} When an output does not match its tensor.
 */
export async function encodeOnnxModel(model: OnnxModel, outputs: ReadonlyMap<string, OnnxWeightOutput>, options: OnnxWriteOptions): Promise<OnnxWriteResult> {
  const byName = new Map(model.initializers.map((i) => [i.name, i]));
  for (const name of outputs.keys()) {
    const init = byName.get(name);
    if (!init || !isWeightInitializer(init)) throw new ShapeMismatchError(`"${printable(name)}" is not a FLOAT or FLOAT16 tensor of the model.`);
  }
  const taken = takenNames(model);
  const replacedByNode = new Set<string>();
  const removedInputs = new Set<string>();
  const edits: WireEdit[] = [];
  let roundedToHalf = 0;
  const floatFallback: { name: string; reason: string }[] = [];
  for (const init of model.initializers) {
    const out = outputs.get(init.name);
    if (out === undefined) {
      if (init.external) edits.push({ start: init.wire.start, end: init.wire.end, bytes: replacedTensor(init, init.dataType, (await initializerRawBytes(init))!), containers: init.containers });
      continue;
    }
    const t = out.kind === "quantized" ? out.tensor : undefined;
    if (t && (t.shape.length !== init.dims.length || t.shape.some((d, i) => d !== init.dims[i]))) {
      throw new ShapeMismatchError(`quantized tensor "${printable(t.name)}" has shape [${t.shape.join(", ")}] but tensor "${printable(init.name)}" is [${init.dims.join(", ")}].`);
    }
    let parts: QdqParts | undefined;
    if (out.kind === "quantized" && options.target === "onnx-qdq") {
      try {
        parts = qdq(model, init, out.tensor, out.codebook, taken);
      } catch (e) {
        // Not expressible as DequantizeLinear: the decoded values keep the model whole (below).
        if (options.strict || !(e instanceof OnnxTargetError)) throw e;
        floatFallback.push({ name: init.name, reason: e.message.replace(` ${QDQ_HINT}`, "") });
      }
    }
    if (parts) {
      const inits = concatBytes(parts.initializers.map((b) => lenField(5, b)));
      const graph = model.graphs[init.graph]!;
      if (init.kind === "constant") {
        // The Constant node itself becomes the initializers and the DequantizeLinear node, in place.
        const nodeWire = init.constant!.node.wire!;
        edits.push({ start: nodeWire.start, end: nodeWire.end, bytes: concatBytes([inits, lenField(1, parts.node)]), containers: graph.containers });
      } else {
        edits.push({ start: init.wire.start, end: init.wire.end, bytes: inits, containers: init.containers });
        const at = nodeInsertionPoint(model, init.graph);
        edits.push({ start: at, end: at, bytes: lenField(1, parts.node), containers: graph.containers });
        if (init.graph === 0 && model.graphInputNames.has(init.localName)) removedInputs.add(init.localName);
      }
      replacedByNode.add(init.name);
      continue;
    }
    const data = out.kind === "float" ? out.data : dequantizeTensor(out.tensor, out.codebook);
    if (data.length !== init.count) throw new ShapeMismatchError(`tensor "${printable(init.name)}" needs ${init.count} values but got ${data.length}.`);
    let raw: Uint8Array;
    if (init.dataType === OnnxDataType.FLOAT16) {
      raw = new Uint8Array(data.length * 2);
      const v = new DataView(raw.buffer);
      for (let i = 0; i < data.length; i++) {
        const h = toFloat16Bits(data[i]!);
        v.setUint16(i * 2, h, true);
        if (fromFloat16Bits(h) !== data[i]) roundedToHalf++;
      }
    } else {
      raw = f32Bytes(data);
    }
    edits.push({ start: init.wire.start, end: init.wire.end, bytes: replacedTensor(init, init.dataType, raw), containers: init.containers });
  }
  if (removedInputs.size > 0) {
    const { ValueInfoProto } = onnxTypes();
    for (const f of model.graphFields) {
      if (f.field !== 11) continue;
      const v = ValueInfoProto.decode(model.bytes.subarray(f.valueStart, f.end)) as unknown as { name?: string };
      // Now a node output, no longer a graph input.
      if (v.name && removedInputs.has(v.name)) edits.push({ start: f.start, end: f.end, bytes: new Uint8Array(0), containers: [model.graphField] });
    }
  }
  return { bytes: spliceWire(model.bytes, edits), qdq: [...replacedByNode], roundedToHalf, floatFallback };
}

/**
 * Encodes the model (see {@link encodeOnnxModel}) and writes it to `path` through a temp file
 * in the same directory, renamed into place.
 *
 * @throws {IoError} When the file cannot be written.
 */
export async function writeOnnxModel(path: string, model: OnnxModel, outputs: ReadonlyMap<string, OnnxWeightOutput>, options: OnnxWriteOptions): Promise<OnnxWriteResult> {
  const r = await encodeOnnxModel(model, outputs, options);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, r.bytes, { flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new IoError(`cannot write "${path}": ${(e as Error).message}. Check the directory exists and is writable.`, e);
  }
  return r;
}
