/**
 * The one file-access policy for paths that come from inside a file a stranger may have written
 * (tfjs `weightsManifest[].paths`, ONNX external-data `location`s, …) and for input files named by
 * the user. Rules (SECURITY.md):
 *
 * - a path found inside a file is relative, resolves (lexically and after `realpath`, so symlinks
 *   count) inside the model's folder, and errors about it never reveal whether or how large a file
 *   outside that folder is;
 * - only regular files are read: files are opened with `O_NONBLOCK` (a FIFO opens at once instead
 *   of blocking) and checked with `fstat` on the opened handle, so a FIFO, device or directory is
 *   refused and nothing hangs;
 * - every read has a byte cap checked against `fstat` before a buffer is allocated.
 *
 * Node-only: exported as `@quantforge/core/node`, never from the browser-safe entry.
 */
import { constants } from "node:fs";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { FormatError, IoError } from "../errors.js";
import { printable } from "../printable.js";

/** Largest single file quantforge reads unless a caller passes its own cap (16 GiB). */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 ** 3;

/** An opened regular file: the handle (caller closes it) and its size from `fstat`. */
export interface RegularFile {
  readonly handle: FileHandle;
  readonly size: number;
  /** The real path that was opened. */
  readonly path: string;
}

/** Options of the read helpers. */
export interface ReadLimits {
  /** What the file is, for messages: `shard`, `external data`, `weights file`, … */
  readonly what?: string;
  /** Refuse files larger than this many bytes (before allocating). */
  readonly maxBytes?: number;
  /** The exact size the file must have, when the referencing file declares it. */
  readonly expectedBytes?: number;
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" ? false : !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

const leaves = (what: string, ref: string) =>
  new FormatError(`${what} path "${printable(ref)}" leaves the model folder. quantforge reads only files inside the folder of the model that names them; move the file there and use a relative path.`);

/**
 * Resolves `ref` (a path read from a file in `root`) to a real path inside `root`.
 *
 * @param root - The folder of the file that names `ref`.
 * @param ref - The path as written in the file.
 * @param what - What the path names, for messages.
 * @throws {FormatError} (`QF_FORMAT`) when `ref` is empty, absolute, contains NUL, escapes `root`
 *   lexically or through a symlink, or does not exist inside `root`. Checks that can be made
 *   without touching the file system are made first, so nothing outside is ever looked at.
 */
export async function resolveContained(root: string, ref: string, what = "file"): Promise<string> {
  if (typeof ref !== "string" || ref.length === 0 || ref.includes("\0")) throw new FormatError(`${what} path "${printable(String(ref))}" is empty or invalid. Re-export the model.`);
  if (isAbsolute(ref) || /^[a-zA-Z]:[\\/]/.test(ref) || ref.startsWith("\\\\")) throw leaves(what, ref);
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch (e) {
    throw new IoError(`cannot open the model folder "${printable(root)}": ${(e as NodeJS.ErrnoException).code ?? String(e)}.`, e);
  }
  const lexical = resolve(rootReal, ref);
  if (!isInside(rootReal, lexical)) throw leaves(what, ref);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (e) {
    // Only reached for paths lexically inside the folder, so "missing" reveals nothing outside.
    // A dangling symlink inside that points outside gives the same message as a missing file.
    throw new FormatError(`${what} "${printable(ref)}" is missing from the model folder. Copy every file the model names next to it.`, e);
  }
  if (!isInside(rootReal, real)) throw leaves(what, ref);
  return real;
}

/**
 * Opens `path` for reading if it is a regular file, without blocking on FIFOs.
 *
 * @throws {IoError} (`QF_IO`) when it cannot be opened, or it is not a regular file (FIFO, device,
 *   directory, socket), or it exceeds `limits.maxBytes`; {@link FormatError} when its size differs
 *   from `limits.expectedBytes`.
 */
export async function openRegularFile(path: string, limits: ReadLimits = {}): Promise<RegularFile> {
  const what = limits.what ?? "file";
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" || code === "EPERM" ? "is not readable" : code === "EISDIR" ? "is a directory" : `cannot be opened (${code ?? String(e)})`;
    throw new IoError(`${what} "${printable(path)}" ${why}. Check the path.`, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new IoError(`${what} "${printable(path)}" is not a regular file (${st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : "a device or socket"}). Pass a regular file.`);
    const max = limits.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (st.size > max) throw new IoError(`${what} "${printable(path)}" holds ${st.size} bytes, more than the limit of ${max}. Raise --max-memory if the file is genuine.`);
    if (limits.expectedBytes !== undefined && st.size !== limits.expectedBytes)
      throw new FormatError(`${what} "${printable(path)}" holds ${st.size} bytes but the model declares ${limits.expectedBytes}. The file is truncated or belongs to another model; re-export it.`);
    return { handle, size: st.size, path };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads a whole regular file into memory after the checks of {@link openRegularFile}.
 *
 * @returns The bytes (exactly the file's `fstat` size).
 */
export async function readRegularFile(path: string, limits: ReadLimits = {}): Promise<Uint8Array> {
  const f = await openRegularFile(path, limits);
  try {
    const buf = new Uint8Array(f.size);
    let at = 0;
    while (at < f.size) {
      const { bytesRead } = await f.handle.read(buf, at, f.size - at, at);
      if (bytesRead === 0) throw new FormatError(`${limits.what ?? "file"} "${printable(path)}" shrank while it was read. Retry when nothing writes to it.`);
      at += bytesRead;
    }
    return buf;
  } finally {
    await f.handle.close();
  }
}

/**
 * Reads a file named inside another file: {@link resolveContained} then {@link readRegularFile}.
 *
 * @param root - The folder of the file that names `ref`.
 * @param ref - The relative path as written there.
 */
export async function readContainedFile(root: string, ref: string, limits: ReadLimits = {}): Promise<Uint8Array> {
  const what = limits.what ?? "file";
  const real = await resolveContained(root, ref, what);
  return readRegularFile(real, { ...limits, what });
}
