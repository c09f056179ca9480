import type { ModelProbe } from "@quantforge/core";
import type { SupportRegionExperiment } from "@quantforge/report";
import { runSupportRegionExperiment, type SupportRegionExperimentOptions } from "./experiment.js";

export { runSupportRegionExperiment, DEFAULT_EXPERIMENT_SUPPORTS, ALL_TENSORS } from "./experiment.js";
export type { SupportRegionExperimentOptions, SupportRegionExperiment, ExperimentRun, ExperimentTensorRow, MseWinRow, LayerVsGlobalRow } from "./experiment.js";

/** What the runner lends an experiment: progress reporting (nothing else is needed here). */
export interface ExperimentHost {
  readonly progress?: (task: string, done: number, total: number) => void;
}

/** Options of {@link run}: the experiment's options plus the model it runs on. */
export interface RunOptions extends Omit<SupportRegionExperimentOptions, "onProgress"> {
  readonly model: ModelProbe;
}

/**
 * Seed 001's experiment on `options.model`: every bit rate × support choice × scope next to rtn
 * (see {@link runSupportRegionExperiment}); returns data, rendered by `formatSupportRegionExperiment`
 * of `@quantforge/report`.
 */
export function run(options: RunOptions, host: ExperimentHost = {}): Promise<SupportRegionExperiment> {
  const { model, ...rest } = options;
  return runSupportRegionExperiment(model, { ...rest, ...(host.progress ? { onProgress: (done: number, total: number) => host.progress!("experiment support-region", done, total) } : {}) });
}
