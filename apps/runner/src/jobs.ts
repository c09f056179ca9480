import type { ModelProbe, WeightSet } from "@quantforge/core";
import { createRunContext, patternSelector, type PipelineResult, type TensorSelector, type TensorWorkers } from "@quantforge/core/host";
import { createRunContainer } from "./container.js";
import { compilePatterns } from "./options.js";
import type { CliProgress } from "./progress.js";
import { RunJob, type PreparedRun, type RunConfig } from "./run-job.js";
import type { Runtime } from "./runtime.js";

/** Default coder of `run` and `demo`. */
export const DEFAULT_CODER = "fixed";
/** Default evaluators of `run` and `demo`. */
export const DEFAULT_EVALUATORS: readonly string[] = ["sqnr", "size"];

/** A job bound to its own child container (RUN_CONFIG, RUN_CONTEXT) with its plugins resolved. */
export interface BoundJob {
  readonly job: RunJob;
  readonly prepared: PreparedRun;
  /**
   * Runs on `weights`; with `model`, its capabilities (forward pass, data, …) are available too;
   * with `workers`, per-tensor quantizers run on other threads (same results).
   */
  run(weights: WeightSet, model?: ModelProbe, workers?: TensorWorkers): Promise<PipelineResult>;
}

/**
 * Creates the per-run child container for `config`, resolves the {@link RunJob} from it and
 * validates ids and options (fails before any weights are read).
 */
export function bindJob(rt: Runtime, config: RunConfig, seed: number, progress?: CliProgress): BoundJob {
  const ctx = createRunContext({ seed, progress });
  const child = createRunContainer(rt.container, config, ctx);
  const job = child.resolve(RunJob);
  const prepared = job.prepare();
  return { job, prepared, run: (weights, model, workers) => job.execute(weights, prepared, model, workers) };
}

/** Builds the tensor selector from `--include`/`--exclude`/`--all-tensors` (undefined = core default). */
export function selectorFromFlags(flags: { include?: readonly string[]; exclude?: readonly string[]; allTensors?: boolean }): TensorSelector | undefined {
  const include = compilePatterns("--include", flags.include);
  const exclude = compilePatterns("--exclude", flags.exclude);
  if (include.length === 0 && exclude.length === 0 && !flags.allTensors) return undefined;
  return patternSelector({ include, exclude, all: flags.allTensors });
}

export { sha256File } from "./file-hash.js";
