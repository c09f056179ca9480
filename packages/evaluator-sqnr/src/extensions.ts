import type { Codebook, Metric, QuantizedTensor, RunContext, WeightTensor } from "@quantforge/core";
import type { ErrorStats } from "./sqnr-impl.js";
import { laplacianTheoryExtension } from "./theory.js";

/** What an {@link SqnrExtension} sees of one quantized tensor. */
export interface SqnrTensorInput {
  /** The original float weights. */
  readonly original: WeightTensor;
  /** The weights decoded from the coded bytes (same shape). */
  readonly decoded: WeightTensor;
  /** The quantized tensor as decoded (codes, grouping, sparse positions), when present. */
  readonly quantized?: QuantizedTensor;
  /** Its codebook (e.g. a `grid` codebook carries N, x_max, σ per group), when present. */
  readonly codebook?: Codebook;
  /** Measured statistics of this tensor (read-only: shared with the measured metrics). */
  readonly stats: Readonly<ErrorStats>;
}

/**
 * Adds metrics beside the measured ones, e.g. the theoretical SQNR of a Laplacian `grid` design
 * next to the measured SQNR. Extensions run after the measured metrics of each tensor and after
 * the overall ones; their metrics follow in that order. They must be pure and deterministic, and
 * report values as finite numbers or null with a reason, like every metric.
 */
export interface SqnrExtension {
  /** Stable id (for messages and ordering). */
  readonly id: string;
  /** Extra metrics of one quantized tensor (name them, e.g. `sqnrTheoryDb`, with `tensor` set). */
  tensorMetrics?(input: SqnrTensorInput, ctx: RunContext): readonly Metric[];
  /** Extra overall metrics from every quantized tensor and the pooled statistics. */
  overallMetrics?(inputs: readonly SqnrTensorInput[], pooled: Readonly<ErrorStats>, ctx: RunContext): readonly Metric[];
}

/**
 * Extensions `sqnrEvaluator()` runs by default, in order. Theory modules of this package add
 * themselves to this list (e.g. the theoretical Laplacian SQNR for `grid` codebooks).
 */
export const DEFAULT_SQNR_EXTENSIONS: readonly SqnrExtension[] = Object.freeze([laplacianTheoryExtension]);
