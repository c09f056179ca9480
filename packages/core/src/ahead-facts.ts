import type { WeightTensor } from "./tensor.js";
import type { CodeArray } from "./quantized.js";

/**
 * `@quantforge/metrics` `accumulateStats(emptyStats(), original, decoded)` of one tensor, with
 * the original values it read (an evaluator takes the sums only for that very array).
 */
export interface ErrorStatsAhead {
  readonly original: Float32Array;
  readonly stats: { readonly count: number; readonly signal: number; readonly noise: number; readonly maxAbs: number };
}

/**
 * Sums and counts over one tensor's original, decoded or code arrays that other threads computed
 * while quantizing it (the runner's `--threads` pool), keyed by the very array (or decoded
 * tensor) they were computed from: an evaluator takes one only when its own input is that key,
 * and it is exactly what the named kernel returns for it, so metrics do not depend on where they
 * were computed.
 */
export interface AheadFacts {
  /** By decoded values: the error sums of those values (see {@link ErrorStatsAhead}). */
  readonly errorStats?: ReadonlyMap<Float32Array, ErrorStatsAhead>;
  /**
   * By decoded tensor, the very object of `subject.decoded`: the error sums of its values. Its
   * `data` need not be read to take them: the pipeline may decode it only when read (core's
   * `DequantizedAhead.lazy`), and a read would dequantize a tensor whose sums are known (issue 18).
   */
  readonly tensorErrorStats?: ReadonlyMap<WeightTensor, ErrorStatsAhead>;
  /** By codes array: `codeHistogram([codes], cap)` of `./format` for any cap above its last bin (set only when it is defined). */
  readonly histograms?: ReadonlyMap<CodeArray, Float64Array>;
}
