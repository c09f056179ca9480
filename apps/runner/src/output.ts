import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import Table from "cli-table3";
import { IoError } from "@quantforge/core";
import type { Runtime } from "./runtime.js";

function tempPathFor(path: string): string {
  const abs = resolve(path);
  // Same directory as the target so the final rename never crosses a file system.
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes an output through `produce(tempPath)` and renames the temp file onto `path`, so readers
 * never see a half-written file. On any failure the temp file is removed and the target is left
 * untouched; file-system failures become {@link IoError}.
 */
export async function writeWithTemp(path: string, produce: (tempPath: string) => Promise<void>): Promise<void> {
  const target = resolve(path);
  const tmp = tempPathFor(target);
  try {
    await mkdir(dirname(target), { recursive: true });
    await produce(tmp);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (isFsError(e)) throw new IoError(`cannot write "${path}": ${(e as Error).message}. Check the directory exists and is writable.`, e);
    throw e;
  }
}

/** Writes `data` to `path` atomically: a temp file in the same directory, then a rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeWithTemp(path, (tmp) => writeFile(tmp, data, { flag: "wx" }));
}

/** True for Node system errors (`ENOENT`, `EACCES`, …). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && /^E[A-Z]+$/.test((e as { code: string }).code) && typeof (e as { syscall?: unknown }).syscall === "string";
}

/** Prints one JSON document (and a newline) on stdout. */
export function printJson(rt: Runtime, value: unknown): void {
  rt.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Column alignment for {@link renderTable}. */
export type Align = "left" | "right";

/**
 * Renders rows as a plain-text table (cli-table3, no colours so logs stay clean).
 * `align` gives per-column alignment; numbers are right-aligned by default.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly (string | number | null)[])[], align?: readonly Align[]): string {
  const colAligns = head.map((_, i) => align?.[i] ?? (rows.some((r) => typeof r[i] === "number") ? "right" : "left"));
  const t = new Table({ head: [...head], style: { head: [], border: [] }, colAligns });
  for (const r of rows) t.push(r.map((c) => (c === null ? "–" : String(c))));
  return `${t.toString()}\n`;
}

/** Formats a number for tables: `digits` decimals, `–` for null/undefined. */
export function fmt(v: unknown, digits = 2): string {
  if (typeof v !== "number") return v === null || v === undefined ? "–" : String(v);
  if (v !== 0 && (Math.abs(v) < 10 ** -digits || Math.abs(v) >= 1e9)) return v.toExponential(Math.max(1, digits - 1));
  return v.toFixed(digits);
}

/**
 * Emits an experiment's or report's result the same way in every command: with `out`, writes
 * `<name>.json` and `<name>.md` there (each atomically); then prints the JSON (with `json`) or the
 * Markdown.
 */
export async function emitResult(rt: Runtime, flags: { readonly out?: string; readonly json?: boolean }, name: string, result: unknown, markdown: string): Promise<void> {
  if (flags.out) {
    await writeFileAtomic(join(flags.out, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic(join(flags.out, `${name}.md`), markdown);
  }
  if (flags.json) return printJson(rt, result);
  rt.out(markdown);
}

