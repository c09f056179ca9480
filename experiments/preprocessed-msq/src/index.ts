import type { EvaluatorPlugin, ModelProbe } from "@quantforge/core";
import type { PreprocessedMsqModelRow, PreprocessedMsqSyntheticRow } from "@quantforge/report";
import { runModelExperiment, type ModelExperimentOptions } from "./experiment-model.js";
import { runSyntheticExperiment, type ExperimentMethod, type SyntheticExperimentOptions } from "./experiment-synthetic.js";

export { runSyntheticExperiment, methodOptions } from "./experiment-synthetic.js";
export type { ExperimentMethod, SyntheticExperimentOptions, SyntheticRow, SlopeRow } from "./experiment-synthetic.js";
export { runModelExperiment } from "./experiment-model.js";
export type { ModelExperimentOptions, ModelRow, LayerOutputError } from "./experiment-model.js";

/** What the runner lends the experiments: progress reporting. */
export interface ExperimentHost {
  readonly progress?: (task: string, done: number, total: number) => void;
}

/** Options of {@link run}: the synthetic study, or the model study over several calibration sizes. */
export type RunOptions =
  | ({ readonly kind: "synthetic" } & Omit<SyntheticExperimentOptions, "onProgress">)
  | ({
      readonly kind: "model";
      readonly model: ModelProbe;
      readonly methods: readonly ExperimentMethod[];
      readonly evaluator: EvaluatorPlugin;
      /** Calibration sample counts m, each a full sweep. */
      readonly sampleList: readonly number[];
    } & Omit<ModelExperimentOptions, "onProgress" | "model" | "methods" | "evaluator" | "samples">);

/**
 * Paper 004's experiments: `kind: "synthetic"` (relative error vs layer width) or `kind: "model"`
 * (accuracy vs bits, one sweep per calibration size). Returns rows, rendered by `syntheticMarkdown`
 * / `modelMarkdown` of `@quantforge/report`.
 */
export async function run(options: RunOptions, host: ExperimentHost = {}): Promise<PreprocessedMsqSyntheticRow[] | PreprocessedMsqModelRow[]> {
  if (options.kind === "synthetic") {
    const { kind: _kind, ...o } = options;
    return runSyntheticExperiment({ ...o, ...(host.progress ? { onProgress: (done: number, total: number) => host.progress!("experiment preprocessed-msq --synthetic", done, total) } : {}) });
  }
  const { kind: _kind, sampleList, ...o } = options;
  const rows: PreprocessedMsqModelRow[] = [];
  for (const samples of sampleList) {
    rows.push(
      ...(await runModelExperiment({
        ...o,
        samples,
        ...(host.progress ? { onProgress: (label: string, done: number, total: number) => host.progress!(`experiment preprocessed-msq (m = ${samples}): ${label}`, done, total) } : {}),
      })),
    );
  }
  return rows;
}
