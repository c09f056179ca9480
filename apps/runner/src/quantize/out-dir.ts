import { mkdir, readdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { cleanStaleTemps, tempPathFor, trackTemp } from "@quantforge/core/node";
import { UsageError } from "../errors.js";
import { guardOutput } from "../output.js";

/**
 * Checks `--out` against the runner's output policy and creates the temp directory `quantize`
 * writes into (renamed onto `out` when the written model has been checked).
 *
 * @returns The temp directory's path, already tracked for removal on SIGINT/SIGTERM.
 */
export async function prepareOut(out: string, inputs: readonly string[]): Promise<string> {
  // The runner's one output policy (not empty, not an input, not a FIFO/device/symlink).
  await guardOutput(out, { inputs, flag: "--out", directory: true });
  const target = resolve(out);
  const existing = await readdir(target).catch(() => null);
  if (existing && existing.length > 0) throw new UsageError(`--out "${out}" already exists and is not empty. Choose a new directory or remove it.`);
  await mkdir(dirname(target), { recursive: true });
  cleanStaleTemps(target);
  const tmp = tempPathFor(target);
  // Registered before it exists: a SIGINT/SIGTERM arriving right after the mkdir (before the
  // next line of JS runs) must find it tracked and the signal handlers installed. Removed on
  // SIGINT/SIGTERM; a renamed-away temp is simply gone by then.
  trackTemp(tmp);
  await mkdir(tmp);
  return tmp;
}
