import { ErrorCodes, IoError, QuantforgeError, isQuantforgeError } from "@quantforge/core";
import type { WireError } from "./compare/protocol.js";

// The runner's error mapping without commander (and without output.ts's tables): what a worker
// thread loads (issue 18: commander and the table renderers were a sixth of a worker's modules).

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

/** A Node file-system error (`ENOENT`, `EACCES`, …: a string `code` and `syscall`). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && /^E[A-Z]+$/.test((e as { code: string }).code) && typeof (e as { syscall?: unknown }).syscall === "string";
}

/**
 * Maps anything thrown but a command-line error to a {@link QuantforgeError}: quantforge errors
 * pass through, file-system errors become `QF_IO`, and everything else `QF_INTERNAL` (see
 * errors.ts' `toQuantforgeError`, which also maps commander's usage errors).
 */
export function asQuantforgeError(e: unknown): QuantforgeError {
  if (e instanceof QuantforgeError) return e;
  if (isQuantforgeError(e)) {
    // Another copy of core (duplicate install): keep its code and exit code.
    const x = e;
    return new QuantforgeError(x.code, x.message, { cause: e, exitCode: x.exitCode === 1 ? 1 : 2 });
  }
  if (isFsError(e)) return new IoError(`${e.message}. Check the path and its permissions.`, e);
  const msg = e instanceof Error ? e.message : String(e);
  return new InternalError(`unexpected failure: ${msg}. Re-run with --verbose and report it.`, e);
}

/**
 * An error as a tensor worker posts it (compare's `WireError`): {@link asQuantforgeError}'s code,
 * message and exit code, so a file-system error is `QF_IO` and anything else unexpected
 * `QF_INTERNAL`, worded as on the main thread.
 */
export function wireError(e: unknown): WireError {
  const q = asQuantforgeError(e);
  return { code: q.code, message: q.message, exitCode: q.exitCode };
}
