import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnyPlugin } from "@quantforge/core";
import { main } from "../main.js";

/** What one in-process CLI call produced. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `quantforge <args>` in-process with captured stdout/stderr. */
export async function cli(args: readonly string[], opts: { plugins?: readonly AnyPlugin[]; isTTY?: boolean; cwd?: string; columns?: number } = {}): Promise<CliResult> {
  let out = "";
  let err = "";
  const code = await main(["node", "quantforge", ...args], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: opts.isTTY ?? false,
    ...(opts.columns !== undefined ? { columns: opts.columns } : {}),
    plugins: opts.plugins,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  return { code, out, err };
}

/** A fresh temp directory, removed by the returned cleanup function. */
export async function tempDir(): Promise<{ dir: string; path: (name: string) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "qf-runner-test-"));
  return { dir, path: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Asserts the one-line error contract and returns the code found. */
export function errorCode(r: CliResult): string | undefined {
  const lines = r.err.trimEnd().split("\n");
  const m = /^error (QF_[A-Z_]+): \S/.exec(lines[lines.length - 1] ?? "");
  return m?.[1];
}
