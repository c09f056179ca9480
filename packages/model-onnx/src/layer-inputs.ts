import { Rng, ShapeMismatchError, printable, type LayerInfo, type LayerInputMatrix } from "@quantforge/core";
import { concatBytes, isWeightInitializer, lenField, onnxTypes, spliceWire, type OnnxModel } from "@quantforge/io-onnx";

/** Most rows a layer-input matrix holds; more are sampled (seeded), bounding memory at rows·K floats. */
export const MAX_LAYER_INPUT_ROWS = 16_384;

/** A dense layer of an ONNX model and the value feeding it. */
export interface OnnxDenseLayer extends LayerInfo {
  /** The graph value of the node's A input (what the layer sees). */
  readonly input: string;
}

const isOp = (n: { opType: string; domain: string }, op: string) => n.opType === op && (n.domain === "" || n.domain === "ai.onnx");

/**
 * The dense layers whose inputs the probe can capture, in node order (ONNX nodes are
 * topologically sorted, so that is forward order): main-graph `MatMul` with a 2-D FLOAT/FLOAT16
 * initializer B `[K, N]`, and `Gemm` without transposes (B `[K, N]`, bias C). Gemm with
 * `transB` (B `[N, K]`) and convolutions are not listed: their kernels are not laid out
 * `[fan-in, fan-out]`. A weight read by several MatMuls is listed once (its first use).
 */
export function onnxDenseLayers(m: OnnxModel): OnnxDenseLayer[] {
  const inits = new Map(m.initializers.filter((i) => i.graph === 0 && isWeightInitializer(i)).map((i) => [i.localName, i]));
  const out: OnnxDenseLayer[] = [];
  const seen = new Set<string>();
  for (const node of m.nodes) {
    const gemm = isOp(node, "Gemm");
    if (!gemm && !isOp(node, "MatMul")) continue;
    if (gemm && ((node.ints?.transA ?? 0) !== 0 || (node.ints?.transB ?? 0) !== 0)) continue;
    const a = node.inputs[0],
      b = inits.get(node.inputs[1] ?? "");
    if (!a || inits.has(a) || !b || b.dims.length !== 2 || seen.has(b.name)) continue;
    seen.add(b.name);
    const c = gemm ? inits.get(node.inputs[2] ?? "") : undefined;
    out.push({
      name: m.tags.get(b.name)?.layer ?? (node.name || b.name),
      kind: "dense",
      weight: b.name,
      ...(c ? { bias: c.name } : {}),
      fanIn: b.dims[0]!,
      fanOut: b.dims[1]!,
      input: a,
    });
  }
  return out;
}

/**
 * Model bytes whose graph also outputs `values` (appended as graph outputs by name; onnxruntime
 * infers their types), so one run returns what every listed layer sees.
 */
export function withExtraOutputs(bytes: Uint8Array, m: OnnxModel, values: readonly string[]): Uint8Array {
  const { ValueInfoProto } = onnxTypes();
  const have = new Set(m.outputs.map((o) => o.name));
  const add = values.filter((v, i) => !have.has(v) && values.indexOf(v) === i);
  if (add.length === 0) return bytes;
  const all = concatBytes(add.map((name) => lenField(12, ValueInfoProto.encode(ValueInfoProto.fromObject({ name })).finish())));
  const end = m.graphField.end;
  return spliceWire(bytes, [{ start: end, end, bytes: all, containers: [m.graphField] }]);
}

/**
 * The rows `[…, K]` of a captured value over all samples (every position before the last axis
 * is one row, as a MatMul treats it), at most {@link MAX_LAYER_INPUT_ROWS}: more are subsampled
 * without replacement by a generator seeded with `seed`, kept in their original order.
 */
export function layerInputRows(layer: OnnxDenseLayer, value: { shape: readonly number[]; data: Float32Array }, seed: number): LayerInputMatrix {
  const k = layer.fanIn;
  const last = value.shape.at(-1);
  if (last !== k || value.data.length % k !== 0) {
    throw new ShapeMismatchError(`the input of layer "${printable(layer.name)}" ("${printable(layer.input)}") has shape [${value.shape.join(", ")}] but its weight has fan-in ${k}. The model's MatMul does not read its last axis as K.`);
  }
  const rows = value.data.length / k;
  if (rows <= MAX_LAYER_INPUT_ROWS) return { rows, cols: k, data: value.data };
  const pick = Int32Array.from({ length: rows }, (_, i) => i);
  const rng = new Rng(seed);
  // Partial Fisher–Yates: the first MAX rows of a seeded permutation, then sorted.
  for (let i = 0; i < MAX_LAYER_INPUT_ROWS; i++) {
    const j = rng.int(i, rows - 1);
    const t = pick[i]!;
    pick[i] = pick[j]!;
    pick[j] = t;
  }
  const chosen = pick.subarray(0, MAX_LAYER_INPUT_ROWS).sort();
  const data = new Float32Array(MAX_LAYER_INPUT_ROWS * k);
  chosen.forEach((r, i) => data.set(value.data.subarray(r * k, (r + 1) * k), i * k));
  return { rows: MAX_LAYER_INPUT_ROWS, cols: k, data };
}
