import type { Command } from "commander";
import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { gpfqQuantizer } from "@quantforge/quantizer-gpfq";
import {
  modelMarkdown, msqQuantizer, preprocessedMsqQuantizer, runModelExperiment, runSyntheticExperiment, syntheticMarkdown,
  type ExperimentMethod,
} from "@quantforge/quantizer-preprocessed-msq";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { emitResult } from "../output.js";
import { createProgress } from "../progress.js";
import type { Runtime } from "../runtime.js";

/** The `experiment` parent command, created on first use (other modules add sub-commands too). */
function experimentCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === "experiment") ??
    program.command("experiment").description("reproduce a paper's experiment on a reference model (Markdown + JSON)")
  );
}

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
 * (plain MSQ vs preprocessed MSQ vs GPFQ on one alphabet). The logic is `runSyntheticExperiment` /
 * `runModelExperiment` in `@quantforge/quantizer-preprocessed-msq`.
 */
export function register(program: Command, rt: Runtime): void {
  experimentCommand(program)
    .command("preprocessed-msq")
    .description("paper 004: plain MSQ vs preprocessed MSQ vs GPFQ — relative error vs layer width on synthetic data, or accuracy vs bits on a model")
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
    .option("--out <dir>", "write preprocessed-msq-<synthetic|model>.json and .md to this directory")
    .action(async (flags: Flags) => {
      if (!!flags.synthetic === !!flags.model) throw new UsageError("give exactly one of --synthetic or --model <id>.");
      if (flags.alphabet !== "midtread" && flags.alphabet !== "midrise") throw new UsageError(`--alphabet "${flags.alphabet}" must be midtread or midrise.`);
      const alphabet = flags.alphabet;
      const seed = parseSeed(flags.seed);
      const progress = createProgress(rt, { json: flags.json });
      let rows: readonly object[];
      let md: string;
      let name: string;
      if (flags.synthetic) {
        const [neurons] = integers(flags.neurons, "neurons", 1);
        const [draws] = integers(flags.draws, "draws", 1);
        const r = await runSyntheticExperiment({
          methods: methods(), alphabet, seed, neurons: neurons!, draws: draws!,
          ms: integers(flags.ms, "ms", 1), n0s: integers(flags.n0s, "n0s", 2), bits: integers(flags.bits ?? "1,2,3,4", "bits", 1),
          onProgress: (done, total) => progress.update("experiment preprocessed-msq --synthetic", done, total),
        });
        rows = r;
        md = syntheticMarkdown(r);
        name = "preprocessed-msq-synthetic";
      } else {
        const sampleList = integers(flags.samples, "samples", 1);
        const [heldOut] = integers(flags.heldOut, "held-out", 0);
        const bits = integers(flags.bits ?? "2,3,4", "bits", 1);
        const model = await loadReferenceModel(flags.model!);
        const r = [];
        for (const samples of sampleList) {
          r.push(...await runModelExperiment({
            model, methods: methods(), evaluator: accuracyEvaluator(), samples, alphabet, seed, bits, heldOut: heldOut!,
            onProgress: (label, done, total) => progress.update(`experiment preprocessed-msq (m = ${samples}): ${label}`, done, total),
          }));
        }
        rows = r;
        md = modelMarkdown(r, model.id);
        name = "preprocessed-msq-model";
      }
      progress.done();
      await emitResult(rt, flags, name, rows, md);
    });
}
