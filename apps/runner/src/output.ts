import { lstat, mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { IoError, printable } from "@quantforge/core";
import { cleanStaleTemps, tempPathFor, trackTemp } from "@quantforge/core/node";
import { writeParts } from "@quantforge/io-safetensors/fs-loops";
import { UsageError, isFsError } from "./errors-base.js";
import type { Runtime } from "./runtime.js";
import { fitColumnWidths } from "./table-fit.js";
import { cliTable3, drawPlainTable, renderChunked } from "./table-render.js";

export { isFsError } from "./errors-base.js";

/** What an output must not collide with. */
export interface OutputOptions {
  /** Input files of the command: the output may not be (or be hard-linked with) any of them. */
  readonly inputs?: readonly string[];
  /** The flag that named the output, for messages (`--out`, `--decoded-out`). */
  readonly flag?: string;
  /** The output is a folder (quantize --out): an existing target must be a directory. */
  readonly directory?: boolean;
  /**
   * {@link writeWithTemp} renames the written temp file onto the target only once this settles
   * successfully: the output is written meanwhile, and nothing replaces the target if it fails
   * (`run` writes its `.qf` while a worker still hashes the input for the report, issue 18).
   */
  readonly commitAfter?: Promise<unknown>;
}

/**
 * The one output policy of every writer (run, decode, quantize, compare): refuses an empty path,
 * an output that is one of the inputs (same path, or same device + inode: a hard link or a
 * symlink to it), and an existing target that is not a regular file (FIFO, device, socket,
 * symlink — replacing those silently would be a surprise), or not a folder for folder outputs.
 *
 * @throws {UsageError} (`QF_USAGE`, exit 2) for an empty path or a collision with an input.
 * @throws {IoError} (`QF_IO`, exit 2) for a target of the wrong kind.
 */
export async function guardOutput(path: string, options: OutputOptions = {}): Promise<void> {
  const flag = options.flag ?? "--out";
  if (typeof path !== "string" || path.trim() === "") throw new UsageError(`${flag} is empty. Give the path of the file to write.`);
  if (path.includes("\0")) throw new UsageError(`${flag} contains a NUL character. Give a valid path.`);
  const target = resolve(path);
  let st;
  try {
    st = await lstat(target);
  } catch {
    st = undefined; // a new file: it can only collide with an input by name
  }
  if (st) {
    if (st.isSymbolicLink()) throw new IoError(`${flag} "${printable(path)}" is a symbolic link; quantforge does not replace links. Remove it or write elsewhere.`);
    if (options.directory ? !st.isDirectory() : !st.isFile()) {
      const kind = st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isFile() ? "a regular file" : "a device or socket";
      throw new IoError(`${flag} "${printable(path)}" exists and is ${kind}, not ${options.directory ? "a folder" : "a regular file"}. Choose another output path.`);
    }
  }
  for (const input of options.inputs ?? []) {
    if (resolve(input) === target) throw new UsageError(`${flag} "${printable(path)}" is also an input; writing it would destroy the input. Choose another output path.`);
    if (!st) continue;
    const ist = await stat(input).catch(() => undefined);
    if (ist && ist.dev === st.dev && ist.ino === st.ino) throw new UsageError(`${flag} "${printable(path)}" is the same file as the input "${printable(input)}" (a hard or symbolic link). Choose another output path.`);
  }
}

/**
 * Writes an output through `produce(tempPath)` and renames the temp file onto `path`, so readers
 * never see a half-written file. The target is checked by {@link guardOutput} first; the temp
 * (`.<name>.tmp-<pid>-<hex>`) is removed on failure and on SIGINT/SIGTERM, and stale temps of
 * dead processes next to the target are deleted. File-system failures become {@link IoError}.
 */
export async function writeWithTemp(path: string, produce: (tempPath: string) => Promise<void>, options: OutputOptions = {}): Promise<void> {
  await guardOutput(path, options);
  const target = resolve(path);
  const tmp = tempPathFor(target);
  const untrack = trackTemp(tmp);
  try {
    await mkdir(dirname(target), { recursive: true });
    cleanStaleTemps(target);
    await produce(tmp);
    await options.commitAfter;
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (isFsError(e)) throw new IoError(`cannot write "${printable(path)}": ${(e as Error).message}. Check the directory exists and is writable.`, e);
    throw e;
  } finally {
    untrack();
  }
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, then a rename. Bytes go
 * in whole calls of up to 64 MiB (`writeFile` writes 512 KiB per call, a thread-pool round trip
 * each: 100 of them for a 50 MB container, issue 18); an array of parts (a container coded in
 * parts, core's `EncodedModel.parts`) goes in the same calls (`writev`), never joined.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[] | string, options: OutputOptions = {}): Promise<void> {
  await writeWithTemp(
    path,
    async (tmp) => {
      if (typeof data === "string") return writeFile(tmp, data, { flag: "wx" });
      const fh = await open(tmp, "wx");
      try {
        await writeParts(fh, data instanceof Uint8Array ? [data] : data, 0);
      } finally {
        await fh.close();
      }
    },
    options,
  );
}

/** Prints one JSON document (and a newline) on stdout. */
export function printJson(rt: Runtime, value: unknown): void {
  rt.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Column alignment for {@link renderTable}. */
export type Align = "left" | "right";

/**
 * Renders rows as a plain-text table (cli-table3, no colours so logs stay clean).
 * `align` gives per-column alignment; numbers are right-aligned by default. With `maxWidth`
 * (see `outputWidth`), text columns are narrowed, widest first, and wrap at word boundaries
 * so every line fits (numbers are never cut).
 */
export function renderTable(head: readonly string[], rows: readonly (readonly (string | number | null)[])[], align?: readonly Align[], maxWidth?: number): string {
  // Loops, not spreads: the row count comes from the input (one row per tensor).
  const colAligns = head.map((_, i) => align?.[i] ?? (rows.some((r) => typeof r[i] === "number") ? "right" : "left"));
  const text = rows.map((r) => r.map((c) => (c === null ? "–" : String(c))));
  // Code points, not UTF-16 units ("σ-norm" is 6 wide); a wide CJK glyph is undercounted, so its column may wrap early.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- counting code points is the point (see above)
  const stringWidth = (x: string) => [...x].length;
  const cells = (i: number) => {
    let m = 0;
    for (const r of text) m = Math.max(m, stringWidth(r[i] ?? ""));
    return m;
  };
  const natural = head.map((h, i) => Math.max(stringWidth(h), cells(i)) + 2);
  const fits = maxWidth === undefined || natural.reduce((a, b) => a + b, natural.length + 1) <= maxWidth;
  if (fits) {
    const drawn = drawPlainTable(head, text, colAligns);
    if (drawn !== undefined) return `${drawn}\n`;
    const t = new (cliTable3())({ head: [...head], style: { head: [], border: [] }, colAligns });
    for (const r of text) t.push(r);
    return `${t.toString()}\n`;
  }
  // Too wide: first let headings wrap at their spaces ("σ-norm SQNR dB" over two lines), so
  // number columns are as wide as their numbers; then narrow the text columns.
  const tight = head.map(
    (h, i) =>
      Math.max(
        h.split(" ").reduce((a, w) => Math.max(a, stringWidth(w)), 0),
        cells(i),
      ) + 2,
  );
  const colWidths = fitColumnWidths(
    tight,
    colAligns.map((a) => a === "left"),
    maxWidth,
  );
  return `${renderChunked(head, text, { colAligns, colWidths, wordWrap: true })}\n`;
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
