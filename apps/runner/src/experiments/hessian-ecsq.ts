import { run } from "@quantforge/experiment-hessian-ecsq";
import { loadReferenceModel, maskedFineTune, probeWithWeights, type TfjsModelProbe } from "@quantforge/model-tfjs";
import { renderHessianEcsqMarkdown } from "@quantforge/report";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import type { ExperimentCommand } from "./index.js";

/** Flags of `quantforge experiment hessian-ecsq`. */
interface Flags {
  model: string;
  mlp?: string;
  density: string;
  pruneScope: string;
  fineTune: string;
  pruneSteps: string;
  fineTuneLr: string;
  floatBiases?: boolean;
  rates: string;
  hessianSamples: string;
  selectionDrop: string;
  table1Only?: boolean;
  seed?: string;
  json?: boolean;
  out?: string;
}

function numbers(raw: string, flag: string): number[] {
  const xs = raw.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} "${raw}" is not a comma-separated list of numbers.`);
  return xs;
}

function number(raw: string, flag: string, ok: (x: number) => boolean, what: string): number {
  const x = Number(raw);
  if (!Number.isFinite(x) || !ok(x)) throw new UsageError(`--${flag} "${raw}" must be ${what}.`);
  return x;
}

/**
 * `quantforge experiment hessian-ecsq --model mnist-lenet5`: the paper's Table 1 (pruning +
 * k-means / Hessian-weighted k-means / uniform / iterative ECSQ, Huffman-coded), the unpruned
 * accuracy-vs-rate sweeps with fixed-length and Huffman codes, and the Hessian-vs-Adam study.
 * The logic is `experiments/hessian-ecsq`; the runner lends it tfjs's fine-tuning and re-weighting.
 */
export const hessianEcsqExperiment: ExperimentCommand = {
  name: "hessian-ecsq",
  description: "paper 003: pruning + (Hessian-weighted) k-means / uniform / iterative ECSQ with Huffman codes — accuracy and real compression ratio (Table 1), rate sweeps, Hessian vs Adam",
  flags: (cmd) =>
    cmd
      .option("--model <id|model.json>", "the Table 1 network (reference id or tfjs model.json)", "mnist-lenet5")
      .option("--mlp <id|model.json>", 'a further network for the unpruned sweeps ("none" to skip)', "mnist-mlp")
      .option("--density <x>", "fraction of weights kept by magnitude pruning", "0.0855")
      .option("--prune-scope <scope>", "joint | layer", "joint")
      .option("--fine-tune <epochs>", "epochs of masked fine-tuning after pruning (0 = none)", "3")
      .option("--prune-steps <n>", "pruning stages, each followed by the fine-tuning epochs (iterative pruning)", "3")
      .option("--fine-tune-lr <x>", "Adam learning rate of the masked fine-tuning", "1e-4")
      .option("--float-biases", "keep biases in float32 (default: quantized with the weights, as in the paper)")
      .option("--rates <list>", "sweep rates b: 2^b clusters (k-means) or b bits of entropy (uniform, ECSQ)", "1,2,3,4,5")
      .option("--hessian-samples <list>", "Hessian sample counts to compare (the first is used elsewhere)", "1000,5000")
      .option("--selection-drop <points>", "largest calibration-accuracy drop allowed when choosing each Table 1 rate", "0.2")
      .option("--table1-only", "skip the unpruned sweeps and the importance study")
      .option("--seed <n>", "random seed", "1")
      .option("--json", "print one JSON object")
      .option("--out <dir>", "write hessian-ecsq-experiment.json and .md to this directory"),
  async execute(flags: Flags, rt) {
    if (flags.pruneScope !== "joint" && flags.pruneScope !== "layer") throw new UsageError(`--prune-scope "${flags.pruneScope}" must be joint or layer.`);
    const density = number(flags.density, "density", (x) => x > 0 && x <= 1, "in (0, 1]");
    const epochs = number(flags.fineTune, "fine-tune", (x) => Number.isInteger(x) && x >= 0, "a non-negative integer");
    const pruneSteps = number(flags.pruneSteps, "prune-steps", (x) => Number.isInteger(x) && x >= 1, "a positive integer");
    const learningRate = number(flags.fineTuneLr, "fine-tune-lr", (x) => x > 0, "positive");
    const selectionDrop = number(flags.selectionDrop, "selection-drop", (x) => x >= 0, "non-negative");
    const rates = numbers(flags.rates, "rates");
    const hessianSamples = numbers(flags.hessianSamples, "hessian-samples");
    const seed = parseSeed(flags.seed, 1);
    const log = rt.isTTY && !flags.json ? (line: string) => rt.err(`${line}\n`) : undefined;
    const lenet = await loadReferenceModel(flags.model);
    const others = flags.mlp && flags.mlp !== "none" && !flags.table1Only ? [await loadReferenceModel(flags.mlp)] : [];
    const result = await run(
      {
        lenet,
        others,
        seed,
        density,
        pruneSteps,
        pruneScope: flags.pruneScope,
        floatBiases: !!flags.floatBiases,
        rates,
        hessianSamples,
        selectionDrop,
        table1Only: !!flags.table1Only,
      },
      {
        atWeights: (p, w) => probeWithWeights(p as TfjsModelProbe, w),
        ...(epochs > 0 ? { fineTune: (p, w, s) => maskedFineTune(p as TfjsModelProbe, w, s, { epochs, seed, learningRate, onEpoch: (e, loss) => log?.(`fine-tune epoch ${e}/${epochs}: loss ${loss.toFixed(4)}`) }) } : {}),
        ...(log ? { log } : {}),
      },
    );
    return { file: "hessian-ecsq-experiment", data: result, markdown: renderHessianEcsqMarkdown(result) };
  },
};
