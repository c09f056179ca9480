import { join } from "node:path";
import type { Command } from "commander";
import { loadReferenceModel, maskedFineTune } from "@quantforge/model-tfjs";
import { accuracyOf } from "@quantforge/experiment-hessian-ecsq";
import { pruneNetwork } from "@quantforge/quantizer-hessian-ecsq";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { printJson, writeFileAtomic } from "../output.js";
import type { Runtime } from "../runtime.js";

/** Flags of `quantforge prune`. */
interface Flags {
  density: string;
  scope: string;
  fineTune: string;
  steps: string;
  lr: string;
  seed?: string;
  out: string;
  json?: boolean;
}

function num(raw: string, flag: string, ok: (x: number) => boolean, what: string): number {
  const x = Number(raw);
  if (!Number.isFinite(x) || !ok(x)) throw new UsageError(`--${flag} "${raw}" must be ${what}.`);
  return x;
}

/**
 * `quantforge prune <model> --density 0.0855 [--fine-tune 3] --out <dir>`: magnitude pruning
 * (optionally iterative, with masked fine-tuning after each stage) written as a tfjs model. Any
 * quantizer then runs on it with `--model <dir>`; `hessian-ecsq` with the same `density` keeps
 * exactly its survivors (the pruned weights are 0, so they are the smallest). Logic:
 * `pruneNetwork` (`@quantforge/quantizer-hessian-ecsq`) and `maskedFineTune` (`@quantforge/model-tfjs`).
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("prune")
    .description("magnitude-prune a model to a density, optionally with masked fine-tuning, and save it as a tfjs model")
    .argument("<model>", "reference model id (mnist-mlp, mnist-lenet5) or a tfjs model.json")
    .requiredOption("--out <dir>", "directory for model.json, weights.bin and prune.json")
    .option("--density <x>", "fraction of weights kept (biases are never pruned)", "0.0855")
    .option("--scope <scope>", "joint (one threshold) | layer (same fraction per layer)", "joint")
    .option("--fine-tune <epochs>", "epochs of masked fine-tuning after each pruning stage (0 = none)", "0")
    .option("--steps <n>", "pruning stages (iterative pruning; useful with --fine-tune)", "1")
    .option("--lr <x>", "Adam learning rate of the fine-tuning", "1e-4")
    .option("--seed <n>", "seed of the fine-tuning batch order", "1")
    .option("--json", "print the pruning record as JSON")
    .action(async (model: string, flags: Flags) => {
      if (flags.scope !== "joint" && flags.scope !== "layer") throw new UsageError(`--scope "${flags.scope}" must be joint or layer.`);
      const density = num(flags.density, "density", (x) => x > 0 && x <= 1, "in (0, 1]");
      const epochs = num(flags.fineTune, "fine-tune", (x) => Number.isInteger(x) && x >= 0, "a non-negative integer");
      const steps = num(flags.steps, "steps", (x) => Number.isInteger(x) && x >= 1, "a positive integer");
      const learningRate = num(flags.lr, "lr", (x) => x > 0, "positive");
      const seed = parseSeed(flags.seed, 1);
      const log = rt.isTTY && !flags.json ? (s: string) => rt.err(`${s}\n`) : () => {};
      const probe = await loadReferenceModel(model);
      const r = await pruneNetwork(probe.weights, {
        density,
        scope: flags.scope,
        steps,
        ...(epochs > 0
          ? {
              fineTune: (w, s, stage) => {
                log(`stage ${stage}/${steps}: fine-tuning ${epochs} epoch(s)`);
                return maskedFineTune(probe, w, s, { epochs, learningRate, seed });
              },
            }
          : {}),
      });
      let kept = 0,
        total = 0;
      for (const t of probe.weights) if (t.role !== "bias") total += t.data.length;
      for (const p of r.survivors.values()) kept += p.length;
      const record = {
        model: probe.id,
        density,
        scope: flags.scope,
        steps,
        fineTuneEpochs: epochs,
        learningRate,
        seed,
        kept,
        prunable: total,
        floatAccuracy: await accuracyOf(probe, probe.weights, probe.testSet),
        prunedAccuracy: await accuracyOf(probe, r.weights, probe.testSet),
      };
      await probe.save(flags.out, r.weights);
      // Keep the training record (its data split seed) so the pruned model is tested on the same split.
      if (probe.training) await writeFileAtomic(join(flags.out, "training.json"), `${JSON.stringify(probe.training, null, 1)}\n`);
      await writeFileAtomic(join(flags.out, "prune.json"), `${JSON.stringify(record, null, 2)}\n`);
      if (flags.json) return printJson(rt, record);
      rt.out(`pruned ${probe.id} to ${kept}/${total} weights (${((100 * kept) / total).toFixed(2)} %): test accuracy ${record.floatAccuracy.toFixed(2)} % → ${record.prunedAccuracy.toFixed(2)} %; wrote ${flags.out}\n`);
    });
}
