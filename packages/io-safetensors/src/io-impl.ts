import { InvalidOptionsError, IoError } from "@quantforge/core";

export { MAX_IO_CHUNK, PARALLEL_READ_MIN, readFully, writeFully } from "./fs-loops.js";

/** safetensors stores every multi-byte value little-endian; swap only on big-endian hosts. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reverses the byte order of each `width`-byte word of `b` in place (little- ↔ big-endian).
 * Used only on big-endian hosts, so the hot paths stay plain typed-array views elsewhere.
 */
export function swapBytes(b: Uint8Array, width: number): void {
  if (width === 1) return;
  const half = width >> 1;
  for (let w = 0; w + width <= b.length; w += width) {
    for (let i = 0; i < half; i++) {
      const a = b[w + i]!;
      b[w + i] = b[w + width - 1 - i]!;
      b[w + width - 1 - i] = a;
    }
  }
}

/** Node's errno code of a failed fs call, if any. */
function errno(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : undefined;
}

/**
 * Turns a Node fs error into an {@link IoError} whose one-line message says what to do.
 * @param e - The error thrown by `node:fs`.
 * @param action - What was attempted, e.g. `read` or `write`.
 * @param path - The file involved.
 */
export function toIoError(e: unknown, action: string, path: string): IoError {
  const code = errno(e);
  const hint =
    code === "ENOENT"
      ? action === "read"
        ? "the file does not exist. Check the path."
        : "its directory does not exist. Create the directory first."
      : code === "EACCES" || code === "EPERM"
        ? "permission denied. Check the file's permissions."
        : code === "EISDIR"
          ? "it is a directory, not a file. Pass a file path."
          : code === "ENOTDIR"
            ? "a component of the path is not a directory. Check the path."
            : code === "ENOSPC"
              ? "the disk is full. Free some space and retry."
              : code === "EMFILE" || code === "ENFILE"
                ? "too many open files. Close some files and retry."
                : `${code ?? (e instanceof Error ? e.message.split("\n")[0] : String(e))}. Check the path and retry.`;
  return new IoError(`cannot ${action} "${path}": ${hint}`, e);
}

/**
 * Validates a size option (bytes): a positive safe integer, or `undefined` for the default.
 * @throws {InvalidOptionsError} Otherwise, naming the option.
 */
export function sizeOption(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionsError("io-safetensors", name, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
