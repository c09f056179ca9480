import { ShapeMismatchError, dequantizeTensor, printable, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { fromFloat16Bits, toFloat16Bits } from "@quantforge/core/format";
import { initializerRawBytes } from "./values.js";
import { isWeightInitializer, type OnnxInitializer, type OnnxModel } from "./types.js";
import { OnnxDataType, onnxTypes } from "./schema.js";
import { concatBytes, lenField, spliceWire, type WireEdit } from "./wire.js";
import { OnnxTargetError, QDQ_HINT, f32Bytes, qdq, tensorBytes, type QdqParts } from "./qdq.js";
import { msOpsetEdit, nbitsEdits, nbitsWeights } from "./nbits.js";

export { OnnxTargetError } from "./qdq.js";

/**
 * How quantized initializers are written:
 * - `onnx`: the decoded weights in the initializer's own data type (FLOAT, or FLOAT16 rounded
 *   to nearest) — the graph is untouched;
 * - `onnx-qdq`: affine 8-bit tensors as a uint8 initializer + scale + zero point feeding a
 *   `DequantizeLinear` node whose output takes the float initializer's name, so every use of
 *   it is replaced without touching the consumers (per-axis for per-channel grids, opset ≥ 13;
 *   blocked on the last axis for per-group grids whose groups tile the last dimension, opset ≥ 21);
 * - `onnx-nbits`: MatMul weights (see `nbitsWeights`) given as `nbits` outputs become packed
 *   uint8 codes + scales (+ zero points) read by onnxruntime's `com.microsoft` `MatMulNBits`
 *   nodes in place of the MatMuls; other quantized tensors are written as decoded floats.
 */
export type OnnxTarget = "onnx" | "onnx-qdq" | "onnx-nbits";

/** What to write for one initializer. */
export type OnnxWeightOutput =
  | { readonly kind: "float"; readonly data: Float32Array }
  | { readonly kind: "quantized"; readonly tensor: QuantizedTensor; readonly codebook: Codebook }
  /** onnx-nbits: a MatMul weight `[K, N]` quantized as its transposed view `[N, K]` (groups along K). */
  | { readonly kind: "nbits"; readonly tensor: QuantizedTensor; readonly codebook: Codebook };

/** What {@link encodeOnnxModel} produced. */
export interface OnnxWriteResult {
  readonly bytes: Uint8Array;
  /** Initializers written as DequantizeLinear (onnx-qdq). */
  readonly qdq: readonly string[];
  /** MatMul weights written for MatMulNBits (onnx-nbits), with their bit width and block size. */
  readonly nbits: readonly { readonly name: string; readonly bits: number; readonly blockSize: number; readonly zeroPoints: "none" | "uint8" | "float" }[];
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

/** Every name any graph of the model uses (values, initializers, nodes): new names must avoid all of them. */
function takenNames(model: OnnxModel): Set<string> {
  const taken = new Set<string>([...model.initializers.map((i) => i.localName), ...model.graphInputNames]);
  for (const g of model.graphs)
    for (const n of g.nodes) {
      taken.add(n.name);
      for (const o of n.outputs) taken.add(o);
    }
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
  const nbitsOk = options.target === "onnx-nbits" ? nbitsWeights(model) : new Map<string, never>();
  const nbits: { name: string; bits: number; blockSize: number; zeroPoints: "none" | "uint8" | "float" }[] = [];
  for (const init of model.initializers) {
    const out = outputs.get(init.name);
    if (out === undefined) {
      if (init.external) edits.push({ start: init.wire.start, end: init.wire.end, bytes: replacedTensor(init, init.dataType, (await initializerRawBytes(init))!), containers: init.containers });
      continue;
    }
    if (out.kind === "nbits") {
      const w = nbitsOk.get(init.name);
      if (!w) throw new ShapeMismatchError(`"${printable(init.name)}" is not a MatMul weight onnx-nbits can replace (target ${options.target}).`);
      const r = nbitsEdits(model, init, w, out.tensor, out.codebook, taken);
      edits.push(...r.edits);
      if (model.graphInputNames.has(init.localName)) removedInputs.add(init.localName);
      nbits.push({ name: init.name, bits: r.packed.bits, blockSize: r.packed.blockSize, zeroPoints: r.packed.zeroPoints?.kind ?? "none" });
      continue;
    }
    if (out.kind === "quantized" && options.target === "onnx-nbits") {
      const reason = `"${printable(init.name)}" is not a 2-D FLOAT initializer read only as the B input of MatMul nodes; MatMulNBits cannot replace it.`;
      if (options.strict) throw new OnnxTargetError(`${reason} Leave it out of the selection or use --target onnx.`);
      floatFallback.push({ name: init.name, reason });
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
  if (nbits.length > 0) {
    const opset = msOpsetEdit(model);
    if (opset) edits.push(opset);
  }
  return { bytes: spliceWire(model.bytes, edits), qdq: [...replacedByNode], nbits, roundedToHalf, floatFallback };
}
