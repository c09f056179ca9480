import { passSeconds, type ForwardShape } from "@quantforge/core/host";

/** Samples the sensitivity report may shrink to, largest first; below 4 the ranking is noise. */
export const SENSITIVITY_SAMPLE_LADDER: readonly number[] = Object.freeze([256, 128, 64, 32, 16, 8, 4]);

/** Default time budget of a sensitivity report (seconds, on the reference machine). */
export const DEFAULT_SENSITIVITY_BUDGET_SECONDS = 60;

/** How many samples a sensitivity report runs, and why. */
export interface SensitivityPlan {
  /** Samples per forward pass. */
  readonly samples: number;
  /** The samples asked for (the default or `--samples`). */
  readonly requested: number;
  /** Forward passes: one per tensor whose quantization is not exact, plus the float reference and "all together". */
  readonly passes: number;
  /** The cost model's estimate of the forward passes' seconds at `samples`. */
  readonly seconds: number;
  readonly budgetSeconds: number;
  /** False when even the smallest plan exceeds the budget (it is used anyway). */
  readonly fits: boolean;
}

/**
 * Pure: the samples per forward pass for a sensitivity report of `passes` forward passes. With a
 * fixed `samples` (the user's `--samples`) that is used as is; otherwise the largest of
 * {@link SENSITIVITY_SAMPLE_LADDER} not above `requested` whose estimated time fits
 * `budgetSeconds` (the smallest when none does). Deterministic: the estimate reads the model's
 * size only (`forward-cost.ts`), never a clock — so a small model keeps `requested` on every
 * machine and a large one always gets the same smaller count.
 */
export function planSensitivitySamples(shape: ForwardShape, o: { passes: number; requested: number; budgetSeconds: number; fixed?: boolean }): SensitivityPlan {
  const est = (samples: number) => o.passes * passSeconds(shape, samples);
  const make = (samples: number): SensitivityPlan => {
    const seconds = est(samples);
    return { samples, requested: o.requested, passes: o.passes, seconds, budgetSeconds: o.budgetSeconds, fits: seconds <= o.budgetSeconds };
  };
  if (o.fixed) return make(o.requested);
  const ladder = [o.requested, ...SENSITIVITY_SAMPLE_LADDER.filter((s) => s < o.requested)];
  let last = make(o.requested);
  for (const s of ladder) {
    last = make(s);
    if (last.fits) return last;
  }
  return last;
}
