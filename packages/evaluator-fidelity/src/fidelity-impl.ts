/**
 * Pure numeric fidelity metrics on model outputs (row-major Float32Arrays `[count, …]`), in
 * float64 accumulators. No model, no tfjs: the evaluator and the sensitivity report call these.
 */
import { isDistributionRows } from "./output-kind.js";

/** A metric value, or null with the reason it is undefined. */
export interface MaybeValue {
  readonly value: number | null;
  readonly reason?: string;
}

/**
 * Relative output error ‖y_q − y_f‖₂ / ‖y_f‖₂ over every value of an output (all samples).
 * A float output of zero norm gives 0 when the quantized output is identical and null otherwise
 * (the ratio is undefined; never ±Infinity).
 */
export function relativeError(ref: Float32Array, q: Float32Array): MaybeValue {
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = q[i]! - ref[i]!;
    num += d * d;
    den += ref[i]! * ref[i]!;
  }
  if (den === 0) return num === 0 ? { value: 0 } : { value: null, reason: "the float output is all zeros" };
  if (!Number.isFinite(num)) return { value: null, reason: "the quantized output is not finite" };
  return { value: Math.sqrt(num / den) };
}

/** True when every row of `[count, classes]` is a probability distribution (≥ 0, sums to 1 ± tol). */
export function isDistribution(p: Float32Array, count: number, classes: number, tol = 1e-3): boolean {
  return count > 0 && p.length === count * classes && isDistributionRows(p, classes, tol);
}

/** Row-wise softmax of logits `[count, classes]` (max-shifted, float64 sums). */
export function softmaxRows(z: Float32Array, count: number, classes: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let n = 0; n < count; n++) {
    const o = n * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, z[o + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(z[o + c]! - m);
    for (let c = 0; c < classes; c++) out[o + c] = Math.exp(z[o + c]! - m) / s;
  }
  return out;
}

/**
 * Mean KL(p ‖ q) in nats over `count` rows of class probabilities, with q floored at `eps`
 * inside the logarithm (float32 softmax outputs can be exactly 0). Terms with p = 0 add 0, so
 * identical rows give exactly 0.
 */
export function meanKl(p: Float32Array, q: Float32Array, count: number, classes: number, eps = 1e-12): number {
  let total = 0;
  for (let n = 0; n < count; n++) {
    let kl = 0;
    for (let c = 0; c < classes; c++) {
      const a = p[n * classes + c]!, b = q[n * classes + c]!;
      if (a > 0 && a !== b) kl += a * Math.log(a / Math.max(b, eps));
    }
    total += Math.max(0, kl);
  }
  return count === 0 ? 0 : total / count;
}

/** Index of the largest entry of each row (first on ties). */
export function argmaxRows(p: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[n * classes + c]! > p[n * classes + best]!) best = c;
    out[n] = best;
  }
  return out;
}

/** Share of rows where both arg-maxes agree, in [0, 1]. */
export function top1Agreement(p: Float32Array, q: Float32Array, count: number, classes: number): number {
  if (count === 0) return 1;
  const a = argmaxRows(p, count, classes), b = argmaxRows(q, count, classes);
  let same = 0;
  for (let n = 0; n < count; n++) if (a[n] === b[n]) same++;
  return same / count;
}

/**
 * SQNR in dB of a decoded tensor against its original: 10·log10(Σw²/Σ(w − ŵ)²). Exact
 * reconstruction and zero signal power give null with a reason (never ±Infinity).
 */
export function tensorSqnrDb(orig: Float32Array, dec: Float32Array): MaybeValue {
  let s = 0, e = 0;
  for (let i = 0; i < orig.length; i++) {
    s += orig[i]! * orig[i]!;
    const d = orig[i]! - dec[i]!;
    e += d * d;
  }
  if (e === 0) return { value: null, reason: "exact reconstruction" };
  if (s === 0) return { value: null, reason: "zero signal power" };
  return { value: 10 * Math.log10(s / e) };
}
