import { CommanderError } from "commander";
import type { QuantforgeError } from "@quantforge/core";
import { UsageError, asQuantforgeError } from "./errors-base.js";
import type { Runtime } from "./runtime.js";

export { InternalError, UsageError, asQuantforgeError } from "./errors-base.js";

/**
 * Maps anything thrown to a {@link QuantforgeError}: quantforge errors pass through, commander's
 * usage errors become `QF_USAGE`, file-system errors `QF_IO`, and everything else `QF_INTERNAL`.
 */
export function toQuantforgeError(e: unknown): QuantforgeError {
  if (e instanceof CommanderError) {
    const msg = e.message
      .replace(/^error:\s*/i, "")
      .replace(/\s+/g, " ")
      .trim();
    return new UsageError(`${msg}. Run "quantforge --help" (or "quantforge <command> --help") for usage.`);
  }
  return asQuantforgeError(e);
}

function stackOf(e: unknown, depth = 0): string {
  if (depth > 4 || e === undefined || e === null) return "";
  const own = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  const cause = e instanceof Error && e.cause !== undefined ? `\ncaused by: ${stackOf(e.cause, depth + 1)}` : "";
  return own + cause;
}

/**
 * Prints one line `error <CODE>: <message>` on stderr (plus the stack and causes with
 * `--verbose`) and returns the exit code: 2 for usage/input errors, 1 for runtime failures.
 */
export function reportError(rt: Pick<Runtime, "err" | "verbose">, e: unknown): number {
  const q = toQuantforgeError(e);
  const oneLine = q.message.replace(/\s*\n\s*/g, " ").trim();
  rt.err(`error ${q.code}: ${oneLine}\n`);
  if (rt.verbose) rt.err(`${stackOf(q === e ? e : (q.cause ?? e))}\n`);
  return q.exitCode;
}
