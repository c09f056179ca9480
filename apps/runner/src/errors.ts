import { CommanderError } from "commander";
import { ErrorCodes, IoError, QuantforgeError, isQuantforgeError } from "@quantforge/core";
import { isFsError } from "./output.js";
import type { Runtime } from "./runtime.js";

/** A command line that cannot be run as given (exit code 2, `QF_USAGE`). */
export class UsageError extends QuantforgeError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
  }
}

/** An unexpected failure: a bug, not bad input (exit code 1, `QF_INTERNAL`). */
export class InternalError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.INTERNAL, message, { cause, exitCode: 1 });
  }
}

/**
 * Maps anything thrown to a {@link QuantforgeError}: quantforge errors pass through, commander's
 * usage errors become `QF_USAGE`, file-system errors `QF_IO`, and everything else `QF_INTERNAL`.
 */
export function toQuantforgeError(e: unknown): QuantforgeError {
  if (e instanceof QuantforgeError) return e;
  if (isQuantforgeError(e)) {
    // Another copy of core (duplicate install): keep its code and exit code.
    const x = e;
    return new QuantforgeError(x.code, x.message, { cause: e, exitCode: x.exitCode === 1 ? 1 : 2 });
  }
  if (e instanceof CommanderError) {
    const msg = e.message
      .replace(/^error:\s*/i, "")
      .replace(/\s+/g, " ")
      .trim();
    return new UsageError(`${msg}. Run "quantforge --help" (or "quantforge <command> --help") for usage.`);
  }
  if (isFsError(e)) return new IoError(`${e.message}. Check the path and its permissions.`, e);
  const msg = e instanceof Error ? e.message : String(e);
  return new InternalError(`unexpected failure: ${msg}. Re-run with --verbose and report it.`, e);
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
