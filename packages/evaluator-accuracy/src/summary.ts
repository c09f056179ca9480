import type { Metric } from "@quantforge/core";

/** The `"model"` block of `quantforge run --json`: the model's id and its accuracy metrics. */
export interface ModelAccuracySummary {
  readonly id: string;
  readonly floatAccuracy: number | null;
  readonly accuracy: number | null;
  readonly agreement: number | null;
  readonly klDivergence: number | null;
}

/**
 * Picks the model-wide metrics of the `accuracy` evaluator out of a run's metrics (null when the
 * evaluator did not run or reported null).
 */
export function modelAccuracySummary(id: string, metrics: readonly Metric[]): ModelAccuracySummary {
  const get = (name: string): number | null => metrics.find((m) => m.name === name && m.tensor === undefined)?.value ?? null;
  return { id, floatAccuracy: get("floatAccuracy"), accuracy: get("accuracy"), agreement: get("agreement"), klDivergence: get("klDivergence") };
}
