import type { Command } from "commander";
import { formatRecommendation, parseNumberArg, recommendBits } from "@quantforge/theory-laplacian";
import { UsageError } from "../errors.js";
import { printJson } from "../output.js";
import type { Runtime } from "../runtime.js";

/** Flags of `quantforge recommend-bits`. */
interface RecommendBitsFlags {
  sigma: string;
  targetSqnr: string;
  design: string;
  json?: boolean;
}

/**
 * `quantforge recommend-bits --sigma <σ_w> --target-sqnr <dB>`: paper 000's bit-rate rule — the
 * smallest R ≤ 16 whose exact SQNR with the σ = 1 design at σ_w reaches the target, or
 * "unreachable" with the best R.
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("recommend-bits")
    .description("bit-rate rule: smallest R whose exact SQNR (σ = 1 Laplacian design applied at σ_w) reaches a target")
    .requiredOption("--sigma <σ_w>", "the weights' σ (RMS) relative to the design σ = 1")
    .requiredOption("--target-sqnr <dB>", "target SQNR in dB")
    .option("--design <kind>", "optimal | iterative", "optimal")
    .option("--json", "print one JSON object")
    .action((flags: RecommendBitsFlags) => {
      if (flags.design !== "optimal" && flags.design !== "iterative") throw new UsageError(`--design "${flags.design}" is not a design. Use optimal or iterative.`);
      const rec = recommendBits({
        sigma: parseNumberArg(flags.sigma, "sigma", { positive: true }),
        targetSqnrDb: parseNumberArg(flags.targetSqnr, "targetSqnrDb"),
        design: flags.design,
      });
      if (flags.json) return printJson(rt, rec);
      rt.out(formatRecommendation(rec));
    });
}
