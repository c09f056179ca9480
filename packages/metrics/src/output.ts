/**
 * Metrics on model outputs: row-major Float32Arrays `[count, classes]` (or any flat output for
 * the relative error), float64 accumulators. No model and no runtime: evaluators, sensitivity,
 * `auto`, the quantize round-trip check and the experiments call these.
 */
import type { MaybeValue } from "./tensor-error.js";

/**
 * Relative output error ‖y_q − y_f‖₂ / ‖y_f‖₂ over every value of an output (all samples).
 * A float output of zero norm gives 0 when the quantized output is identical and null otherwise
 * (the ratio is undefined; never ±Infinity).
 */
export function relativeError(ref: Float32Array, q: Float32Array): MaybeValue {
  let num = 0,
    den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = q[i]! - ref[i]!;
    num += d * d;
    den += ref[i]! * ref[i]!;
  }
  if (den === 0) return num === 0 ? { value: 0 } : { value: null, reason: "the float output is all zeros" };
  if (!Number.isFinite(num)) return { value: null, reason: "the quantized output is not finite" };
  return { value: Math.sqrt(num / den) };
}

/**
 * True when every row of `classes` values (the last axis) is a probability distribution: all
 * values ≥ 0 and each row sums to 1 ± `tol`. Needs `classes` ≥ 2 and whole rows.
 */
export function isDistributionRows(p: Float32Array, classes: number, tol = 1e-3): boolean {
  if (classes < 2 || p.length === 0 || p.length % classes !== 0) return false;
  for (let o = 0; o < p.length; o += classes) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const v = p[o + c]!;
      if (!(v >= 0)) return false;
      s += v;
    }
    if (Math.abs(s - 1) > tol) return false;
  }
  return true;
}

/** True when every row of `[count, classes]` is a probability distribution (≥ 0, sums to 1 ± tol). */
export function isDistribution(p: Float32Array, count: number, classes: number, tol = 1e-3): boolean {
  return count > 0 && p.length === count * classes && isDistributionRows(p, classes, tol);
}

/**
 * The one row-wise softmax kernel: max-shifted, float64 sums. `stored` chooses how each
 * probability is rounded: `false` divides the float64 exponential by the sum (one float32
 * rounding), `true` divides the exponential already stored as float32 (two roundings, as
 * `quantforge quantize`'s output check has always done).
 */
function softmaxInto(z: Float32Array, count: number, classes: number, stored: boolean): Float32Array {
  const out = new Float32Array(z.length);
  for (let n = 0; n < count; n++) {
    const o = n * classes;
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, z[o + c]!);
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(z[o + c]! - m);
      out[o + c] = e;
      s += e;
    }
    if (stored) for (let c = 0; c < classes; c++) out[o + c] = out[o + c]! / s;
    else for (let c = 0; c < classes; c++) out[o + c] = Math.exp(z[o + c]! - m) / s;
  }
  return out;
}

/** Row-wise softmax of logits `[count, classes]` (max-shifted, float64 sums). */
export function softmaxRows(z: Float32Array, count: number, classes: number): Float32Array {
  return softmaxInto(z, count, classes, false);
}

/**
 * Row-wise softmax of logits `[count, classes]` as `quantforge quantize`'s output check has
 * always computed it: each exponential is stored as float32 before the division by the float64
 * sum. It differs from {@link softmaxRows} in the last bit of some probabilities (so in the KL
 * digits the quantize reports publish); both are kept to leave every published number unchanged.
 */
export function storedSoftmaxRows(z: Float32Array, count: number, classes: number): Float32Array {
  return softmaxInto(z, count, classes, true);
}

/** Index of the largest entry of each row of `[count, classes]` (the first one on ties). */
export function argmaxRows(p: Float32Array, count: number, classes: number): Int32Array {
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * classes;
    let best = 0;
    let bv = p[base]!;
    for (let c = 1; c < classes; c++) {
      const v = p[base + c]!;
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[n] = best;
  }
  return out;
}

/**
 * Share of the first `count` entries where `a` and `b` are equal, in [0, 1] (0 for no rows):
 * top-1 accuracy (predictions vs labels) and top-1 agreement of two predictions alike.
 */
export function matchShare(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number {
  const c = matchCount(a, b, count);
  return count === 0 ? 0 : c / count;
}

/** Number of the first `count` entries where `a` and `b` are equal (correct predictions). */
export function matchCount(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number {
  let c = 0;
  for (let n = 0; n < count; n++) if (a[n] === b[n]) c++;
  return c;
}

/**
 * Top-1 agreement of two score matrices `[count, classes]`: the share of rows whose arg-maxes
 * agree, in [0, 1]. No rows agree trivially (1).
 */
export function top1Agreement(p: Float32Array, q: Float32Array, count: number, classes: number): number {
  if (count === 0) return 1;
  return matchShare(argmaxRows(p, count, classes), argmaxRows(q, count, classes), count);
}

/**
 * Mean over rows of KL(p ‖ q) = Σ_a p_a (ln p_a − ln q_a), in nats, accumulated in float64.
 * Terms with p_a = 0 contribute 0 (the limit p ln p → 0). Float32 softmax outputs underflow to
 * exactly 0, so q_a is floored at `epsilon` before the log: a quantized network that gives a
 * class the float network believes in zero probability then costs p_a·ln(p_a/ε) instead of ∞.
 * Identical rows give exactly 0; negative rounding residue is clamped to 0 (KL ≥ 0).
 *
 * The accuracy evaluator's `klDivergence` (difference of logs). {@link meanKlRatio} is the same
 * quantity as ln of the ratio, which the fidelity evaluator's `outputKl` has always reported;
 * the two differ in the last bits, so both are kept to leave every published number unchanged.
 */
export function meanKlDivergence(p: Float32Array, q: Float32Array, count: number, classes: number, epsilon: number): number {
  if (count === 0) return 0;
  let total = 0;
  for (let n = 0; n < count; n++) {
    const base = n * classes;
    let kl = 0;
    for (let a = 0; a < classes; a++) {
      const pa = p[base + a]!;
      if (pa <= 0) continue;
      const qa = q[base + a]!;
      if (qa === pa) continue;
      kl += pa * (Math.log(pa) - Math.log(qa > epsilon ? qa : epsilon));
    }
    total += kl > 0 ? kl : 0;
  }
  return total / count;
}

/**
 * Mean KL(p ‖ q) in nats as Σ p·ln(p / max(q, eps)) per row (see {@link meanKlDivergence} for
 * why both forms exist): the fidelity evaluator's `outputKl`. Identical rows give exactly 0.
 */
export function meanKlRatio(p: Float32Array, q: Float32Array, count: number, classes: number, eps = 1e-12): number {
  let total = 0;
  for (let n = 0; n < count; n++) {
    let kl = 0;
    for (let c = 0; c < classes; c++) {
      const a = p[n * classes + c]!,
        b = q[n * classes + c]!;
      if (a > 0 && a !== b) kl += a * Math.log(a / Math.max(b, eps));
    }
    total += Math.max(0, kl);
  }
  return count === 0 ? 0 : total / count;
}
