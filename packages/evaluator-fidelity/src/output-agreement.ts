import { isDistributionRows, meanKlDivergence, relativeError, storedSoftmaxRows, top1Agreement } from "@quantforge/metrics";

/** One named model output: row-major values of `shape` (batch first). */
export interface NamedOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Output-agreement metrics of one model output (`quantforge quantize`'s report rows). */
export interface OutputAgreement {
  readonly name: string;
  readonly shape: readonly number[];
  /** ‖ŷ − y‖₂ / ‖y‖₂ over the samples (y: float model, ŷ: the quantized weights). */
  readonly relativeError: number | null;
  readonly maxAbsError: number;
  /** Mean KL(p‖q) in nats of the class distributions (2-D outputs; softmax unless rows already sum to 1). */
  readonly kl?: number;
  /** Share of samples whose top-1 class is unchanged (2-D outputs). */
  readonly top1Agreement?: number;
}

/** Floor of q inside ln q for {@link outputAgreement}'s KL (the accuracy evaluator's default). */
export const AGREEMENT_KL_EPSILON = 1e-12;

/** Rows as they are when they already are distributions (non-negative, summing to 1 ± 1e-3), else their softmax. */
function probabilities(x: Float32Array, n: number, c: number): Float32Array {
  return isDistributionRows(x, c) ? x : storedSoftmaxRows(x, n, c);
}

/**
 * Agreement of a model output computed with quantized weights (`got`) with the float model's
 * (`ref`), the fidelity evaluator's per-output comparison as `quantforge quantize` reports it:
 * the relative error and the largest absolute error over every value, and for a 2-D output
 * `[samples, classes ≥ 2]` the mean KL divergence and the top-1 agreement of its rows read as
 * class distributions.
 */
export function outputAgreement(ref: NamedOutput, got: NamedOutput): OutputAgreement {
  let maxAbs = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(got.data[i]! - ref.data[i]!);
    if (d > maxAbs) maxAbs = d;
  }
  const rel = relativeError(ref.data, got.data);
  // A non-finite quantized output has no relative error; the report has always shown it as ∞ (null in JSON).
  const relative = rel.value ?? (ref.data.some((v) => v !== 0) ? Infinity : null);
  const row: OutputAgreement = { name: ref.name, shape: ref.shape, relativeError: relative, maxAbsError: maxAbs };
  if (ref.shape.length === 2 && ref.shape[1]! >= 2) {
    const [n, c] = ref.shape as [number, number];
    const p = probabilities(ref.data, n, c),
      q = probabilities(got.data, n, c);
    return { ...row, kl: meanKlDivergence(p, q, n, c, AGREEMENT_KL_EPSILON), top1Agreement: top1Agreement(p, q, n, c) };
  }
  return row;
}
