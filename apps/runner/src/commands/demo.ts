import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { renderDemo, renderModelDemo, runDemo, runModelDemo } from "../demo.js";
import { parseSeed } from "../options.js";
import { printJson } from "../output.js";
import { createProgress } from "../progress.js";
import type { Runtime } from "../runtime.js";
import { DEFAULT_SYNTH_SPEC, parseTensorSpec } from "../synth.js";

function parseBitsList(raw: string): number[] {
  const bits = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (bits.length === 0 || bits.some((b) => !Number.isInteger(b) || b < 1 || b > 32)) throw new UsageError(`--bits "${raw}" is not a list of integers like 2,4,8. Fix the list.`);
  return bits;
}

/**
 * `quantforge demo`: the README's main job — every registered quantizer at 2, 4 and 8 bits on the
 * embedded mnist-mlp (SQNR, accuracy, bits/weight); with --tensors, on seeded synthetic weights.
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("demo")
    .description("the main job: every quantizer at 2, 4 and 8 bits on the embedded mnist-mlp (SQNR, accuracy, bits/weight)")
    .option("--model <id|model.json>", "the network of the head-to-head", "mnist-mlp")
    .option("--seed <n>", "random seed", "0")
    .option("--bits <list>", "comma-separated bit widths", "2,4,8")
    .option("--tensors <spec>", "synthetic Laplacian layers instead of the model (as in synth)")
    .option("--json", "print the cells as one JSON object")
    .action(async (flags: { seed?: string; bits: string; tensors?: string; model: string; json?: boolean }) => {
      const seed = parseSeed(flags.seed);
      const bits = parseBitsList(flags.bits);
      if (flags.tensors === undefined) {
        const r = await runModelDemo(rt, { model: flags.model, seed, bits, progress: createProgress(rt, { json: flags.json }) });
        if (flags.json) return printJson(rt, { seed, coder: "fixed", ...r });
        return rt.out(renderModelDemo(r));
      }
      const specs = flags.tensors === undefined ? DEFAULT_SYNTH_SPEC : parseTensorSpec(flags.tensors);
      const cells = await runDemo(rt, { seed, bits, specs, progress: createProgress(rt, { json: flags.json }) });
      const count = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
      if (flags.json) return printJson(rt, { seed, count, coder: "fixed", cells });
      rt.out(renderDemo(cells, count));
    });
}
