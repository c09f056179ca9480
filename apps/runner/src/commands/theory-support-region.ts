import type { Command } from "commander";
import type { WeightSet } from "@quantforge/core";
import { defaultSelector } from "@quantforge/core/host";
import { loadModel } from "@quantforge/model-tfjs";
import { formatSupportRegionTheory, parseSupportList, parseSupportSpec, supportNeedsWeights, supportRegionTheory, THEORY_MAX_BITS } from "@quantforge/quantizer-support-region";
import { parseBitsSpec } from "@quantforge/theory-laplacian";
import { UsageError } from "../errors.js";
import { printJson } from "../output.js";
import type { Runtime } from "../runtime.js";
import { readWeights } from "../weights-io.js";
import { theoryCommand } from "./theory.js";

/** Flags of `quantforge theory support-region`. */
interface TheorySupportRegionFlags {
  bits: string;
  support?: string;
  weights?: string;
  model?: string;
  json?: boolean;
}

/** Default choices without weights (design only) and with weights (every kind). */
const DESIGN_SUPPORTS = "optimal,iterative,sigma:2,sigma:3,sigma:4";
const ALL_SUPPORTS = "optimal,iterative,max,sigma:2,sigma:3,percentile:99.9,mse";

/**
 * `quantforge theory support-region --bits 2 --support optimal,max,mse [--weights f|--model id]`:
 * x_max/σ and the exact Laplacian SQNR per bit rate × support choice (logic in
 * `@quantforge/quantizer-support-region`). Choices that depend on data (`max`, `percentile`,
 * `value`, `mse`) need weights and are taken on all selected tensors together (global scope);
 * asking for them without weights is a usage error (exit 2), so the JSON rows always carry
 * exactly `bits`, `support`, `xMaxSigma`, `sqnrDb`.
 */
export function register(program: Command, rt: Runtime): void {
  theoryCommand(program)
    .command("support-region")
    .description("support region choice at low bit rates (seed 001): x_max/σ and the Laplacian SQNR per bit rate and choice")
    .option("--bits <list>", `bit rates: a list like 2,3 or a range like 1..${THEORY_MAX_BITS}`, "2")
    .option("--support <list>", `choices: optimal, iterative, max, mse, sigma:<k>, percentile:<p>, value:<x> (default ${DESIGN_SUPPORTS}; with weights ${ALL_SUPPORTS})`)
    .option("--weights <file>", "weights for the data-dependent choices (every tensor; .safetensors, tfjs .json or .onnx)")
    .option("--model <id|model.json>", "a tfjs model instead of --weights (its weight tensors; biases excluded)")
    .option("--json", "print one JSON array of {bits, support, xMaxSigma, sqnrDb}")
    .action(async (flags: TheorySupportRegionFlags) => {
      if (flags.weights !== undefined && flags.model !== undefined) throw new UsageError("give at most one of --weights and --model.");
      const haveData = flags.weights !== undefined || flags.model !== undefined;
      const bits = parseBitsSpec(flags.bits, THEORY_MAX_BITS);
      const supports = parseSupportList(flags.support ?? (haveData ? ALL_SUPPORTS : DESIGN_SUPPORTS));
      const needData = supports.filter((s) => supportNeedsWeights(parseSupportSpec(s)));
      if (!haveData && needData.length > 0) {
        throw new UsageError(`--support ${needData.join(",")} depend${needData.length === 1 ? "s" : ""} on real weights; pass --weights <file> or --model <id>, or leave ${needData.length === 1 ? "it" : "them"} out.`);
      }
      let weights: WeightSet | undefined;
      if (haveData && needData.length > 0) {
        weights = flags.model !== undefined ? (await loadModel(flags.model)).weights : await readWeights(flags.weights!);
        weights = weights.filter(defaultSelector);
      }
      const rows = supportRegionTheory({ bits, supports, ...(weights ? { weights } : {}) });
      if (flags.json) return printJson(rt, rows);
      rt.out(formatSupportRegionTheory(rows));
    });
}
