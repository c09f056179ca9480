import type { Codebook } from "./codebook.js";
import { dequantizeTensor } from "./codebook-impl.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { shapeSize, type WeightSet, type WeightTensor } from "./tensor.js";
import { codebookMap } from "./validate.js";
import type { CodeArray } from "./quantized.js";

/**
 * Values dequantized ahead (on worker threads): `values` maps a codes array of `source` to
 * `dequantizeTensor` of its tensor. Reused by {@link dequantizeModel} only for a tensor whose
 * every input to dequantization equals that source tensor's.
 */
export interface DequantizedAhead {
  readonly source: QuantizedModel;
  readonly values: ReadonlyMap<CodeArray, Float32Array>;
  /**
   * Codes arrays of `source` whose tensors other threads dequantized without keeping the values
   * (they only summed them: core's `WorkerQuantization.errorStats`). A matching tensor without
   * `values` gets a `data` that is `dequantizeTensor` computed at its first read, not before: a
   * run whose evaluators took the sums never holds those values (issue 18). The dequantization
   * is known to succeed, as it did on the other thread from the same inputs.
   */
  readonly lazy?: ReadonlySet<CodeArray>;
}

/** Equal values, typed arrays element by element (bit patterns via Object.is), objects key by key, `id`s ignored. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>,
      y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter((k) => k !== "id" && (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => k !== "id" && (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** True when `t`'s codes array is a source tensor's, with its shape, grouping, positions and codebook: its values are that tensor's. */
function sameAsSource(t: QuantizedTensor, cb: Codebook, ahead: DequantizedAhead, sources: Map<CodeArray, { t: QuantizedTensor; cb: Codebook | undefined }>): boolean {
  const s = sources.get(t.codes);
  if (!s?.cb || (!ahead.values.has(t.codes) && !ahead.lazy?.has(t.codes))) return false;
  return sameValue(t.shape, s.t.shape) && sameValue(t.grouping, s.t.grouping) && sameValue(t.sparse?.positions, s.t.sparse?.positions) && sameValue(cb, s.cb);
}

/** Decoded tensors whose values are dequantized at their first read. */
const lazyTensors = new WeakSet<WeightTensor>();

/**
 * How many values `t` holds: `t.data.length`, except that a decoded tensor whose values are
 * decoded only when read ({@link DequantizedAhead.lazy}) is not decoded to say it (its values
 * are dequantizeTensor's, one per element of its shape). For checks that only compare lengths.
 */
export function valueCount(t: WeightTensor): number {
  return lazyTensors.has(t) ? shapeSize(t.shape) : t.data.length;
}

/** A decoded tensor whose `data` is dequantized at its first read (see {@link DequantizedAhead.lazy}). */
function lazyTensor(t: QuantizedTensor, cb: Codebook): WeightTensor {
  let data: Float32Array | undefined;
  const d: WeightTensor = {
    name: t.name,
    shape: t.shape,
    get data() {
      return (data ??= dequantizeTensor(t, cb));
    },
    role: t.role,
    layer: t.layer,
    layerKind: t.layerKind,
  };
  lazyTensors.add(d);
  return d;
}

/**
 * Dequantizes a whole model into a weight set (quantized tensors decoded, passthrough tensors as
 * they are), in the order of `order` when given (e.g. the original weight set). With `ahead`,
 * values already dequantized elsewhere from identical inputs are taken instead of computed again.
 */
export function dequantizeModel(qm: QuantizedModel, order?: WeightSet, ahead?: DequantizedAhead): WeightTensor[] {
  return dequantizeModelAhead(qm, order, ahead).tensors;
}

/**
 * {@link dequantizeModel}, also saying which decoded tensors are those of `ahead.source`:
 * `sources` maps each decoded tensor (the very object in `tensors`) whose inputs equal a source
 * tensor's to that tensor's codes array, so facts other threads computed for it apply (issue 18).
 */
export function dequantizeModelAhead(qm: QuantizedModel, order?: WeightSet, ahead?: DequantizedAhead): { tensors: WeightTensor[]; sources: Map<WeightTensor, CodeArray> } {
  const cbs = codebookMap(qm);
  const out = new Map<string, WeightTensor>();
  const matched = new Map<WeightTensor, CodeArray>();
  let sources: Map<CodeArray, { t: QuantizedTensor; cb: Codebook | undefined }> | undefined;
  if (ahead) {
    const scb = codebookMap(ahead.source);
    sources = new Map(ahead.source.tensors.map((t) => [t.codes, { t, cb: scb.get(t.codebook) }]));
  }
  for (const t of qm.tensors) {
    const cb = cbs.get(t.codebook)!;
    const same = ahead !== undefined && sameAsSource(t, cb, ahead, sources!);
    const values = same ? ahead.values.get(t.codes) : undefined;
    const d = same && !values ? lazyTensor(t, cb) : { name: t.name, shape: t.shape, data: values ?? dequantizeTensor(t, cb), role: t.role, layer: t.layer, layerKind: t.layerKind };
    if (same) matched.set(d, t.codes);
    out.set(t.name, d);
  }
  for (const t of qm.passthrough ?? []) out.set(t.name, t);
  if (!order) return { tensors: [...out.values()], sources: matched };
  const res: WeightTensor[] = [];
  for (const t of order) res.push(out.get(t.name) ?? t);
  return { tensors: res, sources: matched };
}
