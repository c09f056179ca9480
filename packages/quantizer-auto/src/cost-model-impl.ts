/**
 * auto's cost model (pure): turns a time budget in seconds into an amount of work — calibration
 * samples per forward pass and candidates measured by a forward pass per tensor — from the
 * model's size alone. The constants below are seconds per unit of work measured once on the
 * reference machine (2 shared cores, tfjs-wasm, see the README); they are constants, never
 * measured at run time, so the same model, options and seed give the same work and the same bits
 * on every machine (a faster machine simply finishes sooner).
 */

import { forwardUnitsPerSample, passSeconds, SECONDS_PER_FORWARD_UNIT, SECONDS_PER_PASS_PARAM } from "@quantforge/core/host";

// The forward-pass estimate lives beside the fidelity meter (the sensitivity report plans its
// samples with it too); re-exported so this module's API is unchanged.
export { forwardUnitsPerSample, SECONDS_PER_FORWARD_UNIT, SECONDS_PER_PASS_PARAM };

/** Seconds per weight per candidate quantization: cheap grids (rtn, uniform-mse per channel). */
export const SECONDS_PER_QUANT_WEIGHT = 6e-8;
/** Seconds per weight per candidate quantization of the costly methods (exact k-means, MSE-optimal per-tensor search). */
export const SECONDS_PER_COSTLY_QUANT_WEIGHT = 1.4e-6;

/** The (samples, measured candidates per tensor) plans tried in order; 0 = every candidate. */
export const PLAN_LADDER: readonly (readonly [number, number])[] = Object.freeze([
  [256, 0],
  [256, 24],
  [128, 24],
  [128, 12],
  [64, 12],
  [64, 6],
  [32, 6],
  [32, 3],
  [16, 3],
  [16, 2],
  [8, 2],
  [8, 1],
] as const);

/** Shape facts the cost model reads. */
export interface CostShape {
  /** Element count and rank of every float tensor of the model (quantized or not). */
  readonly modelTensors: readonly { readonly size: number; readonly rank: number }[];
  /** One input sample's shape (batch excluded), if known. */
  readonly inputShape?: readonly number[];
  /** Multiply-accumulates of one sample's forward pass, when the model counts them. */
  readonly macsPerSample?: number;
  /** Element count of every tensor auto quantizes. */
  readonly selected: readonly number[];
  /** Per candidate: true for the costly methods. */
  readonly costly: readonly boolean[];
  /** Forward passes beyond the per-candidate ones (float reference + end-to-end checks). */
  readonly extraPasses: number;
}

/** What the budget buys. */
export interface CostPlan {
  readonly samples: number;
  /** Candidates measured by a forward pass per tensor (the others are predicted); ≥ 1. */
  readonly measured: number;
  /** The model's estimate of the seconds this plan takes. */
  readonly seconds: number;
  /** False when even the smallest plan exceeds the budget (it is used anyway). */
  readonly fits: boolean;
}

/** Seconds the model predicts for `samples` and `measured` (0 = all). */
export function planSeconds(s: CostShape, samples: number, measured: number): number {
  const pass = passSeconds(s, samples);
  const C = s.costly.length;
  const costlyCount = s.costly.filter(Boolean).length;
  const perWeight = SECONDS_PER_QUANT_WEIGHT * (C - costlyCount) + SECONDS_PER_COSTLY_QUANT_WEIGHT * costlyCount;
  const weights = s.selected.reduce((a, b) => a + b, 0);
  // Every candidate is quantized once per tensor (the screen); measured ones run a forward pass.
  const k = measured === 0 ? C : Math.min(measured, C);
  return weights * perWeight + (s.selected.length * k + s.extraPasses) * pass;
}

/**
 * The first plan of {@link PLAN_LADDER} (or of its measured counts at a fixed `samples`) whose
 * predicted time fits `budgetSeconds`; the last one when none does (`fits` false).
 */
export function chooseCostPlan(s: CostShape, budgetSeconds: number, fixedSamples?: number): CostPlan {
  const C = s.costly.length;
  const ladder = fixedSamples !== undefined ? [...new Set(PLAN_LADDER.map(([, k]) => k))].map((k) => [fixedSamples, k] as const) : PLAN_LADDER;
  let last: CostPlan | undefined;
  for (const [samples, k] of ladder) {
    const measured = k === 0 || k >= C ? C : k;
    const seconds = planSeconds(s, samples, measured);
    last = { samples, measured, seconds, fits: seconds <= budgetSeconds };
    if (last.fits) return last;
  }
  return last!;
}
