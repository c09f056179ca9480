import type { DependencyContainer } from "tsyringe";
import { cellOutcome, createRunContext, type CompareCellEnv, type CompareCellOutcome, type CompareCellSpec, type TensorSelector } from "@quantforge/core/host";
import { normalizedSqnr } from "@quantforge/metrics";
import { createRunContainer } from "../container.js";
import { RunJob, type RunConfig } from "../run-job.js";
import type { LoadedInput } from "./input.js";
import type { PluginEntry } from "./syntax.js";

/** The run configuration (RUN_CONFIG) of one cell. */
export function cellRunConfig(spec: CompareCellSpec, evaluators: readonly PluginEntry[], select: TensorSelector | undefined, allowEmpty = false): RunConfig {
  return {
    ...(allowEmpty ? { allowEmpty: true } : {}),
    quantizer: { id: spec.quantizer, options: spec.options },
    coder: { id: spec.coder, options: spec.coderOptions },
    evaluators: evaluators.map((e) => ({ id: e.id, options: e.options })),
    select,
  };
}

/**
 * Runs one cell in its own child container of `root` (RUN_CONFIG = the cell, RUN_CONTEXT = seed,
 * progress and the cell's abort signal), resolves a {@link RunJob} from it and turns the
 * pipeline result into core's cell outcome. Used on the main thread and in worker threads alike,
 * so both give the same bytes.
 */
export async function runCellInChild(
  root: DependencyContainer,
  input: LoadedInput,
  spec: CompareCellSpec,
  evaluators: readonly PluginEntry[],
  select: TensorSelector | undefined,
  env: CompareCellEnv,
  allowEmpty = false,
): Promise<CompareCellOutcome> {
  const ctx = createRunContext({ seed: env.seed, progress: env.progress, signal: env.signal });
  const child = createRunContainer(root, cellRunConfig(spec, evaluators, select, allowEmpty), ctx);
  const job = child.resolve(RunJob);
  const result = await job.execute(input.weights, job.prepare(), input.model);
  return cellOutcome(result, normalizedSqnr);
}
