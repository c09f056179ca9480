import { FormatError, printable } from "@quantforge/core";
import type { OnnxModel, OnnxValueInfo, TensorMessage } from "./types.js";
import { feedableType } from "./feeds.js";
import { OnnxDataType, onnxTypes, toNumber } from "./schema.js";

/** One graph input as quantforge feeds it (structurally a datasets `ModelInputDecl`). */
export interface OnnxInputDecl {
  readonly name: string;
  readonly shape: readonly (number | null)[] | null;
  readonly dimNames?: readonly (string | null)[];
  readonly dtype: "float32" | "int32" | "int64" | "bool";
  /** Constants the graph compares this scalar integer input with (`Equal`), ascending. */
  readonly values?: readonly number[];
}

/**
 * Ops that pass a value through unchanged (up to type or shape), so a comparison after them still
 * tests the input. The selecting ops (`Gather`, `Slice`, `Expand`, …) belong here because only
 * one-element inputs are traced: any valid selection from one element is that element (the
 * torch.onnx dynamo exporter writes silero VAD's `sr == 16000` as `Equal(Gather(Reshape(sr)), …)`).
 */
const PASS_THROUGH = new Set(["Cast", "Identity", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Gather", "GatherElements", "Slice", "Expand", "Tile"]);
/** Most distinct values kept per input (a graph comparing with more is a lookup, not a switch). */
const MAX_VALUES = 16;

/** The single value of a one-element numeric tensor, or null. */
function scalarValue(t: TensorMessage): number | null {
  const dims = (t.dims ?? []).map(toNumber);
  if (dims.reduce((a, d) => a * d, 1) !== 1) return null;
  const type = t.data_type ?? 0;
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (type === OnnxDataType.INT64 && raw.length >= 8) {
      const b = v.getBigInt64(0, true);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : null;
    }
    if (type === OnnxDataType.INT32 && raw.length >= 4) return v.getInt32(0, true);
    if (type === OnnxDataType.FLOAT && raw.length >= 4) return v.getFloat32(0, true);
    if (type === OnnxDataType.DOUBLE && raw.length >= 8) return v.getFloat64(0, true);
    return null;
  }
  const pick = (a: unknown) => (Array.isArray(a) && a.length === 1 ? toNumber(a[0]) : NaN);
  const n = type === OnnxDataType.INT64 ? pick(t["int64_data"]) : type === OnnxDataType.INT32 ? pick(t.int32_data) : type === OnnxDataType.FLOAT ? pick(t.float_data) : type === OnnxDataType.DOUBLE ? pick(t["double_data"]) : NaN;
  return Number.isFinite(n) ? n : null;
}

/** Every one-element constant of the model by tensor name: main-graph initializers and `Constant` nodes of any graph. */
function scalarConstants(m: OnnxModel): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of m.initializers) {
    if (i.graph !== 0 || i.kind !== "initializer" || i.count !== 1 || i.external) continue;
    const v = scalarValue(i.message);
    if (v !== null) out.set(i.name, v);
  }
  const T = onnxTypes().TensorProto;
  for (const g of m.graphs) {
    for (const c of g.constants) {
      const name = c.node.outputs[0];
      if (!name || out.has(name)) continue;
      let t: TensorMessage;
      try {
        t = T.decode(m.bytes.subarray(c.tensor.valueStart, c.tensor.end));
      } catch {
        continue; // a Constant that does not decode is reported by the reader, not here
      }
      const v = scalarValue(t);
      if (v !== null) out.set(name, v);
    }
  }
  return out;
}

function isScalarInt(i: OnnxValueInfo): boolean {
  const intType = i.elemType === OnnxDataType.INT64 || i.elemType === OnnxDataType.INT32;
  return intType && i.shape !== null && i.shape.every((d) => d === 1);
}

/**
 * The constants the graph compares scalar integer input `name` with: `Equal(x, c)` in any graph
 * (subgraphs of `If`/`Loop` included), where `x` is the input or a pass-through of it (`Cast`,
 * `Squeeze`, …) and `c` a one-element constant. Sorted ascending, at most {@link MAX_VALUES}.
 */
function comparedValues(m: OnnxModel, name: string, consts: ReadonlyMap<string, number>): number[] {
  const alias = new Set([name]);
  const nodes = m.graphs.flatMap((g) => g.nodes);
  for (let grew = true; grew;) {
    grew = false;
    for (const n of nodes) {
      if (!PASS_THROUGH.has(n.opType) || !alias.has(n.inputs[0] ?? "")) continue;
      for (const o of n.outputs)
        if (o && !alias.has(o)) {
          alias.add(o);
          grew = true;
        }
    }
  }
  const found = new Set<number>();
  for (const n of nodes) {
    if (n.opType !== "Equal" || n.inputs.length !== 2) continue;
    const [a, b] = n.inputs as [string, string];
    const c = alias.has(a) ? consts.get(b) : alias.has(b) ? consts.get(a) : undefined;
    if (c !== undefined && Number.isInteger(c)) found.add(c);
  }
  return [...found].sort((x, y) => x - y).slice(0, MAX_VALUES);
}

/**
 * The model's feedable inputs with their shapes, symbolic dimension names, element types and,
 * for scalar integer inputs the graph switches on (silero VAD's sample rate `sr`, compared with
 * 16000 in an `If` condition), the values it tests for.
 *
 * @throws {FormatError} when an input has an element type quantforge cannot feed.
 */
export function onnxInputDecls(m: OnnxModel): OnnxInputDecl[] {
  let consts: Map<string, number> | undefined;
  return m.inputs.map((i) => {
    const dtype = feedableType(i.elemType);
    if (!dtype) throw new FormatError(`${printable(m.path)}: input "${printable(i.name)}" has ONNX element type ${i.elemType}; quantforge feeds float32, int32, int64 or bool inputs.`);
    let values: number[] = [];
    if (isScalarInt(i)) values = comparedValues(m, i.name, (consts ??= scalarConstants(m)));
    return { name: i.name, shape: i.shape, ...(i.dimNames ? { dimNames: i.dimNames } : {}), dtype, ...(values.length > 0 ? { values } : {}) };
  });
}
