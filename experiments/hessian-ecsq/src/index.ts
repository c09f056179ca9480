import type { ModelProbe } from "@quantforge/core";
import type { HessianEcsqExperimentResult } from "@quantforge/report";
import { runHessianEcsqExperiment, type HessianEcsqExperimentOptions } from "./experiment.js";

export { runHessianEcsqExperiment, accuracyOf, paperRatio } from "./experiment.js";
export type { HessianEcsqExperimentOptions, HessianEcsqExperimentResult, Table1Row, SweepPoint, FineTune } from "./experiment.js";

/**
 * What the runner lends the experiment: progress lines, and the model runtime's services
 * (evaluating a probe at other weights, masked fine-tuning) so the experiment imports no runtime.
 */
export interface ExperimentHost {
  readonly log?: (line: string) => void;
  readonly atWeights?: HessianEcsqExperimentOptions["atWeights"];
  readonly fineTune?: HessianEcsqExperimentOptions["fineTune"];
}

/** Options of {@link run}: the Table 1 network, further networks for the sweeps, and the experiment's options. */
export interface RunOptions extends Omit<HessianEcsqExperimentOptions, "log" | "atWeights" | "fineTune"> {
  readonly lenet: ModelProbe;
  readonly others?: readonly ModelProbe[];
}

/** Paper 003's experiment (see {@link runHessianEcsqExperiment}); rendered by `renderHessianEcsqMarkdown` of `@quantforge/report`. */
export function run(options: RunOptions, host: ExperimentHost = {}): Promise<HessianEcsqExperimentResult> {
  const { lenet, others, ...rest } = options;
  return runHessianEcsqExperiment(
    { lenet, ...(others ? { others } : {}) },
    {
      ...rest,
      ...(host.atWeights ? { atWeights: host.atWeights } : {}),
      ...(host.fineTune ? { fineTune: host.fineTune } : {}),
      ...(host.log ? { log: host.log } : {}),
    },
  );
}
