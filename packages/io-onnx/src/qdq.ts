/** The `onnx-qdq` form of one initializer: uint8 codes + scale + zero point → DequantizeLinear. */
import { ErrorCodes, QuantforgeError, ShapeMismatchError, codebookGroupParams, printable, shapeSize, type Codebook, type QuantizedTensor } from "@quantforge/core";
import type { OnnxInitializer, OnnxModel, TensorMessage } from "./types.js";
import { OnnxDataType, onnxTypes } from "./schema.js";

/** A quantized tensor that the ONNX target cannot carry (choose another target). */
export class OnnxTargetError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
  }
}

/** Little-endian float32 bytes. */
export function f32Bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i]!, true);
  return out;
}

/** Re-encodes an initializer with new data (name, dims, doc string and metadata kept). */
export function tensorBytes(base: TensorMessage, patch: { name: string | undefined; dims: readonly number[]; dataType: number; raw: Uint8Array }): Uint8Array {
  const { TensorProto } = onnxTypes();
  const msg: TensorMessage = {
    ...(patch.name === undefined ? {} : { name: patch.name }),
    dims: [...patch.dims],
    data_type: patch.dataType,
    raw_data: patch.raw,
    ...(base.doc_string ? { doc_string: base.doc_string } : {}),
    ...(base.metadata_props ? { metadata_props: base.metadata_props } : {}),
  };
  return TensorProto.encode(TensorProto.fromObject(msg)).finish();
}

/** `want`, or `want_1`, `want_2`, … — the first name not in `taken` (then taken). */
export function uniqueName(taken: Set<string>, want: string): string {
  let name = want;
  for (let k = 1; taken.has(name); k++) name = `${want}_${k}`;
  taken.add(name);
  return name;
}

/** The initializers and DequantizeLinear node replacing one initializer. */
export interface QdqParts {
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

/** The advice ending every onnx-qdq refusal. */
export const QDQ_HINT = `Use --target onnx (decoded float weights) instead.`;

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
      throw new OnnxTargetError(
        `tensor "${printable(init.name)}" has per-group parameters (groups of ${g.size}); that needs blocked DequantizeLinear (block_size), which needs opset 21 or later, but the model declares opset ${model.opset}. Use --target onnx (decoded float weights) or per-channel granularity (--option granularity=channel).`,
      );
    }
    // A rank-0 tensor is one element, one group: it never reaches here (params > 1).
    const last = init.dims.at(-1) ?? 1;
    if (last % g.size !== 0) {
      throw new OnnxTargetError(
        `tensor "${printable(init.name)}" has shape [${init.dims.join(", ")}]; its groups of ${g.size} consecutive elements are DequantizeLinear blocks only when the last dimension (${last}) is a multiple of the group size. Choose a groupSize that divides ${last} (e.g. --option groupSize=${largestDivisorAtMost(last, g.size)}), or use --target onnx (decoded float weights).`,
      );
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
export function qdq(model: OnnxModel, init: OnnxInitializer, t: QuantizedTensor, cb: Codebook, taken: Set<string>): QdqParts {
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
  const node = NodeProto.encode(
    NodeProto.fromObject({
      input: [qName, sName, zName],
      output: [init.localName],
      name: nodeName,
      op_type: "DequantizeLinear",
      domain: "",
      ...(axis === undefined ? {} : { attribute: [{ name: "axis", i: axis, type: 2 }, ...(blockSize === undefined ? [] : [{ name: "block_size", i: blockSize, type: 2 }])] }),
    }),
  ).finish();
  return { initializers, node };
}
