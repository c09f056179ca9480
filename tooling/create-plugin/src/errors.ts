/** Stable codes of the scaffold's errors (the same codes the quantforge CLI uses). */
export type ScaffoldErrorCode = "QF_USAGE" | "QF_IO";

/**
 * A scaffold that cannot be made as asked: bad kind or name (`QF_USAGE`), a target directory that
 * exists and is not empty (`QF_IO`). The message is one line saying what to do.
 */
export class ScaffoldError extends Error {
  readonly code: ScaffoldErrorCode;
  constructor(code: ScaffoldErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ScaffoldError";
    this.code = code;
  }
}
