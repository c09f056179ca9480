import type { ModelProbe } from "@quantforge/core";
import type { UniformMseExperiment } from "@quantforge/report";
import { runUniformMseExperiment, type UniformMseExperimentOptions } from "./experiment.js";

export { runUniformMseExperiment, sqnrCheck, accuracyDropPoints } from "./experiment.js";
export type { UniformMseExperiment, UniformMseExperimentOptions, ExperimentRow, ExperimentTensorRow, BitRuleRow, ExperimentAcceptance, ExperimentMode, SqnrCheck } from "./experiment.js";

/** What the runner lends an experiment: progress reporting. */
export interface ExperimentHost {
  readonly progress?: (task: string, done: number, total: number) => void;
}

/** Options of {@link run}: the experiment's options plus the model it runs on. */
export interface RunOptions extends Omit<UniformMseExperimentOptions, "onProgress"> {
  readonly model: ModelProbe;
}

/**
 * Paper 000's experiment on `options.model` (see {@link runUniformMseExperiment}); returns data,
 * rendered by `formatUniformMseExperiment` of `@quantforge/report`.
 */
export function run(options: RunOptions, host: ExperimentHost = {}): Promise<UniformMseExperiment> {
  const { model, ...rest } = options;
  return runUniformMseExperiment(model, { ...rest, ...(host.progress ? { onProgress: (done: number, total: number) => host.progress!("experiment uniform-mse", done, total) } : {}) });
}
