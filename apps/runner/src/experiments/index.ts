import type { Command } from "commander";
import type { Runtime } from "../runtime.js";
import { hessianEcsqExperiment } from "./hessian-ecsq.js";
import { preprocessedMsqExperiment } from "./preprocessed-msq.js";
import { supportRegionExperiment } from "./support-region.js";
import { uniformMseExperiment } from "./uniform-mse.js";

/** What one experiment produced: the output file stem, the data (JSON) and its Markdown. */
export interface ExperimentOutput {
  readonly file: string;
  readonly data: unknown;
  readonly markdown: string;
}

/**
 * One `quantforge experiment <name>` sub-command: its flags, and how parsed flags become the
 * options of the experiment package's `run(options, host)` and a rendered result. Flag errors
 * are `UsageError`s (exit 2).
 */
export interface ExperimentCommand {
  readonly name: string;
  readonly description: string;
  /** Declares the sub-command's options on `cmd` and returns it. */
  flags(cmd: Command): Command;
  /** Parses the flags (commander's parsed options), runs the experiment and renders its result. */
  execute(flags: object, rt: Runtime): Promise<ExperimentOutput>;
}

/** Every experiment, in the order `quantforge experiment --help` lists them. */
export const EXPERIMENTS: readonly ExperimentCommand[] = [uniformMseExperiment, hessianEcsqExperiment, preprocessedMsqExperiment, supportRegionExperiment];
