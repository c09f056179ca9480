import type { Codebook } from "./codebook.js";
import { dequantizeTensor } from "./codebook-impl.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import type { WeightSet, WeightTensor } from "./tensor.js";
import { codebookMap } from "./validate.js";

/**
 * Values dequantized ahead (on worker threads): `values` maps a codes array of `source` to
 * `dequantizeTensor` of its tensor. Reused by {@link dequantizeModel} only for a tensor whose
 * every input to dequantization equals that source tensor's.
 */
export interface DequantizedAhead {
  readonly source: QuantizedModel;
  readonly values: ReadonlyMap<Uint32Array, Float32Array>;
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

/** The values dequantized ahead for `t` when its codes, shape, grouping, positions and codebook are those of the source tensor. */
function aheadFor(t: QuantizedTensor, cb: Codebook, ahead: DequantizedAhead, sources: Map<Uint32Array, { t: QuantizedTensor; cb: Codebook | undefined }>): Float32Array | undefined {
  const v = ahead.values.get(t.codes),
    s = sources.get(t.codes);
  if (!v || !s?.cb) return undefined;
  const same = sameValue(t.shape, s.t.shape) && sameValue(t.grouping, s.t.grouping) && sameValue(t.sparse?.positions, s.t.sparse?.positions) && sameValue(cb, s.cb);
  return same ? v : undefined;
}

/**
 * Dequantizes a whole model into a weight set (quantized tensors decoded, passthrough tensors as
 * they are), in the order of `order` when given (e.g. the original weight set). With `ahead`,
 * values already dequantized elsewhere from identical inputs are taken instead of computed again.
 */
export function dequantizeModel(qm: QuantizedModel, order?: WeightSet, ahead?: DequantizedAhead): WeightTensor[] {
  const cbs = codebookMap(qm);
  const out = new Map<string, WeightTensor>();
  let sources: Map<Uint32Array, { t: QuantizedTensor; cb: Codebook | undefined }> | undefined;
  if (ahead) {
    const scb = codebookMap(ahead.source);
    sources = new Map(ahead.source.tensors.map((t) => [t.codes, { t, cb: scb.get(t.codebook) }]));
  }
  for (const t of qm.tensors) {
    const cb = cbs.get(t.codebook)!;
    const data = (ahead && aheadFor(t, cb, ahead, sources!)) ?? dequantizeTensor(t, cb);
    out.set(t.name, { name: t.name, shape: t.shape, data, role: t.role, layer: t.layer, layerKind: t.layerKind });
  }
  for (const t of qm.passthrough ?? []) out.set(t.name, t);
  if (!order) return [...out.values()];
  const res: WeightTensor[] = [];
  for (const t of order) res.push(out.get(t.name) ?? t);
  return res;
}
