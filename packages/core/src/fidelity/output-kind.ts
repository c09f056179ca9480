/**
 * What a model output *is*, read from the float model's values on the measurement inputs: whether
 * its relative error means anything (saturated, near-zero and sparse outputs are flagged), and
 * whether it is a distribution or logits over classes (the only outputs KL and top-1 are
 * reported for). Pure functions over row-major Float32Arrays `[count, …shape]`.
 */
import { isDistributionRows } from "@quantforge/metrics";

/** Why an output's relative error is not meaningful (it is then left out of "worst"). */
export interface OutputFlag {
  /** `saturated`: a [0, 1] output pinned at 0 or at 1; `near-zero`: every |value| ≤ 1e-6; `sparse`: < 1 % nonzero. */
  readonly kind: "saturated" | "near-zero" | "sparse";
  /** One line for reports. */
  readonly reason: string;
}

/** Values within this distance of 0 or 1 count as saturated (a [0, 1] output). */
export const SATURATION_EPS = 1e-3;
/** Largest |value| of an output that counts as zero everywhere (float32 noise level of O(1) activations). */
export const NEAR_ZERO_ABS = 1e-6;
/** Below this share of nonzero values an output is sparse. */
export const SPARSE_SHARE = 0.01;
/** Most classes an output can have to be read as logits (ImageNet-21k heads stay below). */
export const MAX_LOGIT_CLASSES = 32_768;
/**
 * Output names that say "scores over classes". Values alone cannot tell logits from a landmark
 * regression or an embedding (both are signed vectors; measured on facemesh's 1,404 landmark
 * coordinates and openWakeWord's 96-wide embedding), so unnamed raw outputs are not read as
 * logits: pass the fidelity option `classifier: "logits"` for those.
 */
export const CLASS_NAME = /logit|class|cls|score|label|categor/i;
/** Output names that say "features, not classes" (embeddings, descriptors). */
const FEATURE_NAME = /emb|feat|desc|vector|latent|hidden|encod/i;

/**
 * Flags an output whose relative error ‖Δy‖/‖y‖ does not measure the model's quality on these
 * inputs (null when it does). The rules, in order:
 * 1. `near-zero`: every |value| ≤ {@link NEAR_ZERO_ABS}: ‖y‖ is float noise, any Δ divides by ~0.
 * 2. `saturated`: every value in [0, 1] and all within {@link SATURATION_EPS} of 0, or all of 1
 *    (a sigmoid map with nothing detected, or everything): the output carries no signal here.
 * 3. `sparse`: fewer than {@link SPARSE_SHARE} of the values are nonzero (|v| > 1e-6·max|v|):
 *    the error is decided by a handful of values (e.g. 5 of 1,024 in a ReLU embedding).
 * Distributions (see {@link isDistributionRows}) are never flagged: a confident softmax is
 * one-hot and its error is meaningful.
 */
export function outputFlag(ref: Float32Array, classes: number | null): OutputFlag | null {
  const n = ref.length;
  if (n === 0) return null;
  if (classes !== null && isDistributionRows(ref, classes)) return null;
  let maxAbs = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = ref[i]!;
    if (!Number.isFinite(v)) return null;
    maxAbs = Math.max(maxAbs, Math.abs(v));
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (maxAbs <= NEAR_ZERO_ABS) return { kind: "near-zero", reason: `near zero: every value of the float output is within ±${NEAR_ZERO_ABS} (max |y| ${maxAbs.toExponential(2)})` };
  if (lo >= 0 && hi <= 1 && (hi <= SATURATION_EPS || lo >= 1 - SATURATION_EPS)) {
    return { kind: "saturated", reason: `saturated: every value of the float output is within ${SATURATION_EPS} of ${hi <= SATURATION_EPS ? 0 : 1} (range ${lo.toExponential(2)}…${hi.toExponential(2)})` };
  }
  const floor = 1e-6 * maxAbs;
  let nonzero = 0;
  for (let i = 0; i < n; i++) if (Math.abs(ref[i]!) > floor) nonzero++;
  if (nonzero < SPARSE_SHARE * n) return { kind: "sparse", reason: `sparse: only ${nonzero} of ${n} float output values are nonzero` };
  return null;
}

/**
 * The class axis of an output: its last dimension when that is ≥ 2 (the per-sample shape
 * excludes the batch), else null.
 */
export function classAxis(shape: readonly number[]): number | null {
  const last = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return last >= 2 ? last : null;
}

/**
 * How an output reads as a classifier in `auto` mode:
 * - `probabilities`: every row over the last axis is a distribution (≥ 0, sums to 1);
 * - `logits`: its name says classes ({@link CLASS_NAME}: logits, class, cls, score, label,
 *   category) and not features/embedding, one sample is a vector (every dimension but the last
 *   is 1) of 2…{@link MAX_LOGIT_CLASSES} values that take both signs, rows are not
 *   unit-L2-normalised (embeddings usually are), and the output is not flagged (sparse, …);
 * - null otherwise (embeddings, maps, regressions): no KL or top-1.
 */
export function classifierKind(name: string, shape: readonly number[], ref: Float32Array, flagged: boolean): "probabilities" | "logits" | null {
  const classes = classAxis(shape);
  if (classes === null) return null;
  if (isDistributionRows(ref, classes)) return "probabilities";
  if (flagged || classes > MAX_LOGIT_CLASSES || shape.slice(0, -1).some((d) => d !== 1) || FEATURE_NAME.test(name) || !CLASS_NAME.test(name)) return null;
  if (ref.length % classes !== 0) return null;
  let neg = false,
    pos = false,
    unitRows = true;
  for (let o = 0; o < ref.length; o += classes) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const v = ref[o + c]!;
      if (v < 0) neg = true;
      else if (v > 0) pos = true;
      s += v * v;
    }
    if (Math.abs(Math.sqrt(s) - 1) > 1e-3) unitRows = false;
  }
  return neg && pos && !unitRows ? "logits" : null;
}
