import type { Command } from "commander";
import { designTable, formatDesignTable, parseBitsSpec, parseNumberList, RULE_MAX_BITS, type DesignKind } from "@quantforge/theory-laplacian";
import { UsageError } from "../errors.js";
import { printJson } from "../output.js";
import type { Runtime } from "../runtime.js";

/**
 * The `theory` parent command, created on first use. Other command modules add their own
 * sub-commands to it (`theoryCommand(program).command("support-region")…`), in any order.
 */
export function theoryCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === "theory") ?? program.command("theory").description("theoretical tables of the quantizer designs (support region, SQNR, variance mismatch)");
}

/** Flags of `quantforge theory uniform-mse`. */
interface TheoryUniformMseFlags {
  bits: string;
  sigmaDb?: string;
  design: string;
  json?: boolean;
}

function designOf(raw: string): DesignKind {
  if (raw !== "optimal" && raw !== "iterative") throw new UsageError(`--design "${raw}" is not a design. Use optimal or iterative.`);
  return raw;
}

/** `quantforge theory uniform-mse`: x_max, Δ, SQNR, D_g, D_o of the Laplacian design per R (and σ). */
export function register(program: Command, rt: Runtime): void {
  theoryCommand(program)
    .command("uniform-mse")
    .description("MSE-optimal (or iterative-rule) uniform quantizer for a Laplacian source: x_max, step, SQNR, D_g, D_o per bit rate and σ")
    .option("--bits <list>", `bit rates: a range like 1..${RULE_MAX_BITS} or a list like 2,4,8`, `1..${RULE_MAX_BITS}`)
    .option("--sigma-db <list>", "source σ in dB relative to the σ = 1 design (comma-separated; e.g. --sigma-db=-20,0,10)", "0")
    .option("--design <kind>", "optimal | iterative", "optimal")
    .option("--json", "print one JSON array of rows")
    .action((flags: TheoryUniformMseFlags) => {
      const rows = designTable({
        bits: parseBitsSpec(flags.bits, RULE_MAX_BITS),
        sigmaDb: parseNumberList(flags.sigmaDb ?? "0", "sigmaDb"),
        design: designOf(flags.design),
      });
      if (flags.json) return printJson(rt, rows);
      rt.out(formatDesignTable(rows));
    });
}
