import { printable, type Codebook, type QuantizedTensor } from "@quantforge/core";
import type { OnnxInitializer, OnnxModel, OnnxNode } from "./types.js";
import { NbitsTargetError, packMatMulNBits, type PackedNbits } from "./nbits-impl.js";
import { OnnxDataType, onnxTypes } from "./schema.js";
import { concatBytes, lenField, type WireEdit } from "./wire.js";
import { f32Bytes, tensorBytes, uniqueName } from "./qdq.js";

/** The domain of onnxruntime's contrib operators. */
export const MS_DOMAIN = "com.microsoft";

/** A MatMul weight `onnx-nbits` can replace: B `[K, N]` of every node that reads it. */
export interface NbitsWeight {
  readonly name: string;
  readonly k: number;
  readonly n: number;
  /** The MatMul nodes (main graph) it is the B input of. */
  readonly nodes: readonly OnnxNode[];
}

const isMatMul = (node: OnnxNode) => node.opType === "MatMul" && (node.domain === "" || node.domain === "ai.onnx");

/**
 * The initializers `onnx-nbits` writes as MatMulNBits: main-graph FLOAT initializers (or
 * `Constant` node values, as paddle2onnx writes weights) of rank 2 read only as the B input of
 * main-graph `MatMul` nodes (not by any other node, subgraph or graph output), since the float
 * tensor disappears from the written model. Other float weights
 * (Conv, Gemm, biases, FLOAT16 or shared tensors) keep the `onnx` path: decoded floats.
 */
export function nbitsWeights(model: OnnxModel): Map<string, NbitsWeight> {
  const uses = new Map<string, { nodes: OnnxNode[]; other: boolean }>();
  const cand = model.initializers.filter((i) => i.graph === 0 && i.dataType === OnnxDataType.FLOAT && i.dims.length === 2 && i.count > 0);
  for (const i of cand) uses.set(i.localName, { nodes: [], other: false });
  for (const g of model.graphs) {
    for (const node of g.nodes) {
      node.inputs.forEach((name, index) => {
        const u = uses.get(name);
        if (!u) return;
        if (g.id === 0 && index === 1 && isMatMul(node) && node.inputs[0] !== name) u.nodes.push(node);
        else u.other = true;
      });
    }
  }
  for (const o of model.outputs) {
    const u = uses.get(o.name);
    if (u) u.other = true;
  }
  const out = new Map<string, NbitsWeight>();
  for (const i of cand) {
    const u = uses.get(i.localName)!;
    if (u.other || u.nodes.length === 0) continue;
    out.set(i.name, { name: i.name, k: i.dims[0]!, n: i.dims[1]!, nodes: u.nodes });
  }
  return out;
}

const tensor = (name: string, dims: readonly number[], dataType: number, raw: Uint8Array) => lenField(5, tensorBytes({}, { name, dims, dataType, raw }));

/** What one replaced MatMul weight becomes. */
export interface NbitsParts {
  readonly packed: PackedNbits;
  readonly edits: WireEdit[];
}

/**
 * The wire edits replacing initializer `init` (a {@link nbitsWeights} entry `w`) by the packed
 * `B`, `scales` and `zero_points` initializers in place, and every MatMul reading it by a
 * `com.microsoft` `MatMulNBits` node with the same name, A input and output.
 *
 * @param t - The quantized transposed view `[N, K]` (see `packMatMulNBits`).
 * @throws {NbitsTargetError} When the tensor does not fit MatMulNBits.
 */
export function nbitsEdits(model: OnnxModel, init: OnnxInitializer, w: NbitsWeight, t: QuantizedTensor, cb: Codebook, taken: Set<string>): NbitsParts {
  if (t.shape.length !== 2 || t.shape[0] !== w.n || t.shape[1] !== w.k) {
    throw new NbitsTargetError(`tensor "${printable(init.name)}" must be quantized as its transposed view [${w.n}, ${w.k}] for onnx-nbits (got [${t.shape.join(", ")}]).`);
  }
  const p = packMatMulNBits(t, cb);
  const base = init.localName;
  const bName = uniqueName(taken, `${base}_Q${p.bits}`),
    sName = uniqueName(taken, `${base}_scales`);
  const zName = p.zeroPoints ? uniqueName(taken, `${base}_zero_points`) : "";
  const parts = [tensor(bName, [p.n, p.blocks, (p.blockSize * p.bits) / 8], OnnxDataType.UINT8, p.b), tensor(sName, [p.n * p.blocks], OnnxDataType.FLOAT, f32Bytes(p.scales))];
  if (p.zeroPoints?.kind === "uint8") parts.push(tensor(zName, [p.zeroPoints.data.length], OnnxDataType.UINT8, p.zeroPoints.data));
  else if (p.zeroPoints) parts.push(tensor(zName, [p.n * p.blocks], OnnxDataType.FLOAT, f32Bytes(p.zeroPoints.data)));
  // An initializer is replaced in place; a Constant node becomes the initializers, where it was
  // (GraphProto's repeated fields may interleave).
  const where = init.kind === "constant" ? { ...init.constant!.node.wire!, containers: model.graphs[0]!.containers } : { ...init.wire, containers: init.containers };
  const edits: WireEdit[] = [{ start: where.start, end: where.end, bytes: concatBytes(parts), containers: where.containers }];
  const { NodeProto } = onnxTypes();
  const attr = (name: string, i: number) => ({ name, i, type: 2 });
  for (const node of w.nodes) {
    const body = NodeProto.encode(
      NodeProto.fromObject({
        input: [node.inputs[0]!, bName, sName, ...(zName ? [zName] : [])],
        output: [...node.outputs],
        ...(node.name ? { name: node.name } : {}),
        op_type: "MatMulNBits",
        domain: MS_DOMAIN,
        attribute: [attr("K", p.k), attr("N", p.n), attr("bits", p.bits), attr("block_size", p.blockSize)],
      }),
    ).finish();
    edits.push({ start: node.wire!.start, end: node.wire!.end, bytes: lenField(1, body), containers: model.graphs[0]!.containers });
  }
  return { packed: p, edits };
}

/** The edit adding the `com.microsoft` opset import (version 1) to ModelProto, unless the model has one. */
export function msOpsetEdit(model: OnnxModel): WireEdit | null {
  const { OperatorSetIdProto } = onnxTypes();
  for (const f of model.modelFields) {
    if (f.field !== 8 || f.wire !== 2) continue;
    const o = OperatorSetIdProto.decode(model.bytes.subarray(f.valueStart, f.end)) as unknown as { domain?: string };
    if (o.domain === MS_DOMAIN) return null;
  }
  const end = model.bytes.length;
  return { start: end, end, bytes: lenField(8, OperatorSetIdProto.encode(OperatorSetIdProto.fromObject({ domain: MS_DOMAIN, version: 1 })).finish()), containers: [] };
}

export { NbitsTargetError };
