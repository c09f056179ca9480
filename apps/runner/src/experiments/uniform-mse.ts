import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { run } from "@quantforge/experiment-uniform-mse";
import { loadReferenceModel } from "@quantforge/model-tfjs";
import { formatUniformMseExperiment } from "@quantforge/report";
import { parseBitsSpec, parseNumberList, RULE_MAX_BITS } from "@quantforge/theory-laplacian";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { createProgress } from "../progress.js";
import type { ExperimentCommand } from "./index.js";

/** Flags of `quantforge experiment uniform-mse`. */
interface ExperimentUniformMseFlags {
  model: string;
  bits: string;
  design: string;
  targets: string;
  coder: string;
  seed?: string;
  json?: boolean;
  out?: string;
}

/**
 * `quantforge experiment uniform-mse --model mnist-mlp`: R = 9…16 in matched and mismatched
 * mode — σ_w, theoretical / measured / granular-only SQNR, overload accounting, accuracy and
 * agreement with the float network, and the bit-rate rule's pick (`experiments/uniform-mse`).
 */
export const uniformMseExperiment: ExperimentCommand = {
  name: "uniform-mse",
  description: "paper 000: uniform-mse at R = 9…16 in both modes — theory vs measured SQNR, overload, accuracy, bit-rate rule",
  flags: (cmd) =>
    cmd
      .requiredOption("--model <id|model.json>", "reference model id (mnist-mlp) or a tfjs model.json")
      .option("--bits <list>", "bit rates (range or list)", "9..16")
      .option("--design <kind>", "optimal | iterative", "optimal")
      .option("--targets <list>", "target SQNRs (dB) for the bit-rate rule", "20,30,40")
      .option("--coder <id>", "coder whose bytes give the bits per weight", "fixed")
      .option("--seed <n>", "random seed", "0")
      .option("--json", "print one JSON object")
      .option("--out <dir>", "write uniform-mse-experiment.json and .md to this directory"),
  async execute(flags: ExperimentUniformMseFlags, rt) {
    if (flags.design !== "optimal" && flags.design !== "iterative") throw new UsageError(`--design "${flags.design}" is not a design. Use optimal or iterative.`);
    const bits = parseBitsSpec(flags.bits, RULE_MAX_BITS);
    const targetsDb = parseNumberList(flags.targets, "targets");
    const seed = parseSeed(flags.seed);
    const coder = rt.registry.coder(flags.coder);
    const model = await loadReferenceModel(flags.model);
    const progress = createProgress(rt, { json: flags.json });
    const result = await run({ model, bits, design: flags.design, targetsDb, seed, modelEvaluators: [accuracyEvaluator()], coder }, { progress: (task, done, total) => progress.update(task, done, total) });
    progress.done();
    return { file: "uniform-mse-experiment", data: result, markdown: formatUniformMseExperiment(result) };
  },
};
