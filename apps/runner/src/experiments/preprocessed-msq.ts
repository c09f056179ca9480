import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { run, type ExperimentMethod, type ModelRow, type SyntheticRow } from "@quantforge/experiment-preprocessed-msq";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { gpfqQuantizer } from "@quantforge/quantizer-gpfq";
import { msqQuantizer, preprocessedMsqQuantizer } from "@quantforge/quantizer-preprocessed-msq";
import { modelMarkdown, syntheticMarkdown } from "@quantforge/report";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { createProgress } from "../progress.js";
import type { ExperimentCommand } from "./index.js";

/** Flags of `quantforge experiment preprocessed-msq`. */
interface Flags {
  synthetic?: boolean;
  model?: string;
  bits?: string;
  ms: string;
  n0s: string;
  neurons: string;
  draws: string;
  samples: string;
  heldOut: string;
  alphabet: string;
  seed?: string;
  json?: boolean;
  out?: string;
}

function integers(raw: string, flag: string, min: number): number[] {
  const xs = raw.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < min)) throw new UsageError(`--${flag} "${raw}" must be a comma-separated list of integers ≥ ${min}.`);
  return xs;
}

/** The three methods of the comparison, all on the same alphabet. */
function methods(): ExperimentMethod[] {
  return [
    { name: "msq", plugin: msqQuantizer() },
    { name: "preprocessed-msq", plugin: preprocessedMsqQuantizer() },
    { name: "gpfq", plugin: gpfqQuantizer() },
  ];
}

/**
 * `quantforge experiment preprocessed-msq --synthetic | --model mnist-mlp`: seed 004's experiments
 * (plain MSQ vs preprocessed MSQ vs GPFQ on one alphabet). The logic is `experiments/preprocessed-msq`.
 */
export const preprocessedMsqExperiment: ExperimentCommand = {
  name: "preprocessed-msq",
  description: "paper 004: plain MSQ vs preprocessed MSQ vs GPFQ — relative error vs layer width on synthetic data, or accuracy vs bits on a model",
  flags: (cmd) =>
    cmd
      .option("--synthetic", "synthetic single layer: X with i.i.d. N(0,1) entries, Gaussian weights")
      .option("--model <id|model.json>", "a model (e.g. mnist-mlp): test accuracy vs bits for both targets")
      .option("--bits <list>", "bit widths (default 1,2,3,4 synthetic; 2,3,4 model)")
      .option("--ms <list>", "synthetic: calibration sample counts m", "16,32,64")
      .option("--n0s <list>", "synthetic: layer widths N0 (each ≥ 2m)", "128,256,512,1024,2048,4096")
      .option("--neurons <n>", "synthetic: neurons per draw", "16")
      .option("--draws <n>", "synthetic: independent draws of (X, W) per point", "2")
      .option("--samples <list>", "model: calibration sample counts m, each a full sweep (layer l uses min(m, ⌊N0/2⌋) for preprocessed MSQ)", "64,128,256")
      .option("--held-out <n>", "model: further calibration samples (seen by no method) for the layer-output errors", "1000")
      .option("--alphabet <kind>", "midtread | midrise", "midtread")
      .option("--seed <n>", "random seed", "0")
      .option("--json", "print the rows as one JSON array")
      .option("--out <dir>", "write preprocessed-msq-<synthetic|model>.json and .md to this directory"),
  async execute(flags: Flags, rt) {
    if (!!flags.synthetic === !!flags.model) throw new UsageError("give exactly one of --synthetic or --model <id>.");
    if (flags.alphabet !== "midtread" && flags.alphabet !== "midrise") throw new UsageError(`--alphabet "${flags.alphabet}" must be midtread or midrise.`);
    const alphabet = flags.alphabet;
    const seed = parseSeed(flags.seed);
    const progress = createProgress(rt, { json: flags.json });
    const host = { progress: (task: string, done: number, total: number) => progress.update(task, done, total) };
    let out;
    if (flags.synthetic) {
      const [neurons] = integers(flags.neurons, "neurons", 1);
      const [draws] = integers(flags.draws, "draws", 1);
      const r = (await run(
        {
          kind: "synthetic",
          methods: methods(),
          alphabet,
          seed,
          neurons: neurons!,
          draws: draws!,
          ms: integers(flags.ms, "ms", 1),
          n0s: integers(flags.n0s, "n0s", 2),
          bits: integers(flags.bits ?? "1,2,3,4", "bits", 1),
        },
        host,
      )) as SyntheticRow[];
      out = { file: "preprocessed-msq-synthetic", data: r, markdown: syntheticMarkdown(r) };
    } else {
      const sampleList = integers(flags.samples, "samples", 1);
      const [heldOut] = integers(flags.heldOut, "held-out", 0);
      const bits = integers(flags.bits ?? "2,3,4", "bits", 1);
      const model = await loadReferenceModel(flags.model!);
      const r = (await run({ kind: "model", model, methods: methods(), evaluator: accuracyEvaluator(), sampleList, alphabet, seed, bits, heldOut: heldOut! }, host)) as ModelRow[];
      out = { file: "preprocessed-msq-model", data: r, markdown: modelMarkdown(r, model.id) };
    }
    progress.done();
    return out;
  },
};
