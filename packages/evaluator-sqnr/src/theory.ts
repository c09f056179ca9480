import { codedGroups, type Metric } from "@quantforge/core";
import { combineGridTheoryStats, gridTheoryStats, summarizeGridTheory, type GridTheoryStats, type MaybeValue } from "@quantforge/theory-laplacian";
import type { SqnrExtension, SqnrTensorInput } from "./extensions.js";

/** Theory statistics per tensor input, so the overall pass does not recompute them. */
const cache = new WeakMap<SqnrTensorInput, GridTheoryStats>();

function statsOf(input: SqnrTensorInput): GridTheoryStats | null {
  const { codebook, quantized } = input;
  if (!codebook || codebook.kind !== "grid" || !quantized) return null;
  let s = cache.get(input);
  if (!s) {
    s = gridTheoryStats({
      original: input.original.data,
      decoded: input.decoded.data,
      codebook,
      groups: codedGroups(quantized),
      positions: quantized.sparse?.positions,
    });
    cache.set(input, s);
  }
  return s;
}

function metric(name: string, v: MaybeValue, unit: string | undefined, tensor: string | undefined): Metric {
  return {
    name,
    value: v.value,
    ...(tensor !== undefined ? { tensor } : {}),
    ...(unit ? { unit } : {}),
    ...(v.value === null && v.reason ? { reason: v.reason } : {}),
  };
}

function metricsOf(s: GridTheoryStats, tensor: string | undefined): Metric[] {
  const sum = summarizeGridTheory(s);
  const maxOver: MaybeValue = s.maxAbsOverSigma === null ? { value: null, reason: "zero spread (every weight equals its group's μ)" } : { value: s.maxAbsOverSigma };
  return [
    metric("sqnrTheoryDb", sum.sqnrTheoryDb, "dB", tensor),
    metric("sqnrGranularDb", sum.sqnrGranularDb, "dB", tensor),
    metric("maxAbsOverSigma", maxOver, undefined, tensor),
    metric("overloadCount", { value: s.overloadCount }, undefined, tensor),
    metric("overloadShare", sum.overloadShare, undefined, tensor),
  ];
}

/**
 * Theoretical SQNR beside the measured one for tensors whose codebook is a Laplacian `grid`
 * design (uniform-laplacian.md §2, §4), per tensor and overall:
 * - `sqnrTheoryDb`: exact D_g + D_o of the stored design at each group's actual spread —
 *   matched mode (σ_g = RMS) gives the design SQNR, mismatched mode (σ_g = 1) paper 000's
 *   variance-mismatch SQNR, a removed mean μ gives 10·log10((σ² + μ²)/(σ²·D));
 * - `sqnrGranularDb`: the same with D_g only (a finite weight set rarely reaches the overload
 *   region at high R, so measured SQNR can exceed the full theory);
 * - `maxAbsOverSigma`: max |w − μ| / RMS(w − μ) (the tails in units of the tensor's own σ);
 * - `overloadCount`: weights beyond ±x_max of the design; `overloadShare`: their share of the
 *   measured squared error.
 * Tensors with other codebooks get none of these; the overall values need every quantized
 * tensor to have a grid codebook (else they are null with the reason).
 */
export const laplacianTheoryExtension: SqnrExtension = Object.freeze({
  id: "laplacian-theory",
  tensorMetrics(input: SqnrTensorInput): readonly Metric[] {
    const s = statsOf(input);
    return s ? metricsOf(s, input.original.name) : [];
  },
  overallMetrics(inputs: readonly SqnrTensorInput[]): readonly Metric[] {
    const all = inputs.map(statsOf);
    const grid = all.filter((s): s is GridTheoryStats => s !== null);
    if (grid.length === 0) return [];
    if (grid.length < all.length) {
      const reason = "not every quantized tensor has a grid codebook";
      return ["sqnrTheoryDb", "sqnrGranularDb", "maxAbsOverSigma", "overloadCount", "overloadShare"].map((name) => ({ name, value: null, reason }));
    }
    return metricsOf(combineGridTheoryStats(grid), undefined);
  },
});
