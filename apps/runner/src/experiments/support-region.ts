import { DEFAULT_EXPERIMENT_SUPPORTS, run } from "@quantforge/experiment-support-region";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { parseSupportList } from "@quantforge/quantizer-support-region";
import { formatSupportRegionExperiment, type SupportRegionScope } from "@quantforge/report";
import { parseBitsSpec } from "@quantforge/theory-laplacian";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { createProgress } from "../progress.js";
import type { ExperimentCommand } from "./index.js";

/** Flags of `quantforge experiment support-region`. */
interface ExperimentSupportRegionFlags {
  model: string;
  data: string;
  bits: string;
  support: string;
  scope: string;
  samples?: string;
  seed?: string;
  json?: boolean;
  out?: string;
}

function scopesOf(raw: string): SupportRegionScope[] {
  const xs = raw.split(",").map((s) => s.trim());
  for (const s of xs) if (s !== "layer" && s !== "global") throw new UsageError(`--scope "${raw}" must list layer and/or global.`);
  return [...new Set(xs)] as SupportRegionScope[];
}

/**
 * `quantforge experiment support-region --model mnist-mlp [--bits 2,3]`: for every bit rate ×
 * support choice × scope, x_max/σ, theoretical and measured SQNR, accuracy, agreement with the
 * float network and bits per weight, next to rtn at the same bits; per-tensor layer-wise vs
 * global and `mse` vs the other choices (`experiments/support-region`).
 */
export const supportRegionExperiment: ExperimentCommand = {
  name: "support-region",
  description: "seed 001: 2/3-bit uniform quantization per support region choice, layer-wise and global — SQNR (theory, measured), accuracy, agreement",
  flags: (cmd) =>
    cmd
      .requiredOption("--model <id|model.json>", "reference model id (mnist-mlp) or a tfjs model.json")
      .option("--data <source>", 'test data: "embedded" or a folder of MNIST IDX files', "embedded")
      .option("--bits <list>", "bit rates, each 2–4", "2,3")
      .option("--support <list>", "support choices", DEFAULT_EXPERIMENT_SUPPORTS.join(","))
      .option("--scope <list>", "layer and/or global", "layer,global")
      .option("--samples <n>", "evaluate accuracy on the first n test samples (default: all)")
      .option("--seed <n>", "random seed", "1")
      .option("--json", "print one JSON object")
      .option("--out <dir>", "write support-region-experiment.json and .md to this directory"),
  async execute(flags: ExperimentSupportRegionFlags, rt) {
    const bits = parseBitsSpec(flags.bits, 4);
    if (bits.some((b) => b < 2)) throw new UsageError(`--bits "${flags.bits}" must list bit rates in 2…4.`);
    const supports = parseSupportList(flags.support);
    const scopes = scopesOf(flags.scope);
    const samples = flags.samples === undefined ? undefined : Number(flags.samples);
    if (samples !== undefined && !(Number.isInteger(samples) && samples > 0)) throw new UsageError(`--samples "${flags.samples}" must be a positive integer.`);
    const seed = parseSeed(flags.seed, 1);
    const model = await loadReferenceModel(flags.model, { data: flags.data });
    const progress = createProgress(rt, { json: flags.json });
    let result;
    try {
      result = await run({ model, bits, supports, scopes, seed, ...(samples !== undefined ? { samples } : {}) }, { progress: (task, done, total) => progress.update(task, done, total) });
    } finally {
      progress.done();
    }
    return { file: "support-region-experiment", data: result, markdown: formatSupportRegionExperiment(result) };
  },
};
