import type { Command } from "commander";
import { parseSeed } from "../options.js";
import { printJson } from "../output.js";
import type { Runtime } from "../runtime.js";
import { DEFAULT_SYNTH_SPEC, parseDistribution, parseTensorSpec, synthesizeWeights } from "../synth.js";
import { writeWeights } from "../weights-io.js";

interface SynthFlags {
  out: string;
  seed?: string;
  tensors?: string;
  dist?: string;
  json?: boolean;
}

/** `quantforge synth --out <file.safetensors>`: seeded synthetic weights, written atomically. */
export function register(program: Command, rt: Runtime): void {
  const cmd = program
    .command("synth")
    .description("write a seeded synthetic weights file (Laplacian layers; one has 1,000,000 weights)")
    .requiredOption("--out <file.safetensors>", "where to write the weights")
    .option("--seed <n>", "random seed", "0")
    .option("--tensors <spec>", 'comma-separated name:DIMS[:SIGMA], e.g. "fc1:300x784:0.04,fc2:100x300"')
    .option("--dist <laplace|gauss>", "weight distribution", "laplace")
    .option("--json", "print what was written as JSON")
    .action(async (flags: SynthFlags) => {
      const seed = parseSeed(flags.seed);
      const dist = parseDistribution(flags.dist);
      const specs = flags.tensors === undefined ? DEFAULT_SYNTH_SPEC : parseTensorSpec(flags.tensors);
      const weights = synthesizeWeights(specs, seed, dist);
      await writeWeights(flags.out, weights, { generator: "quantforge synth", seed: String(seed), dist });
      const tensors = specs.map((s) => ({ name: s.name, shape: s.shape, sigma: s.sigma }));
      const count = weights.reduce((a, t) => a + t.data.length, 0);
      if (flags.json) printJson(rt, { out: flags.out, seed, dist, count, tensors });
      else rt.out(`wrote ${flags.out}: ${tensors.length} tensors, ${count} weights (${dist}, seed ${seed})\n`);
    });
  // Writes weights only: no plugin is used.
  rt.builtinsFor(cmd, () => () => false);
}
