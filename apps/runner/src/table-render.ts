/**
 * Linear-time drawing of the plain tables `renderTable` (output.ts) prints, byte for byte what
 * cli-table3 draws with `style: { head: [], border: [] }`.
 *
 * Why: cli-table3 lays cells out with a span-conflict search that is quadratic in the row count
 * (a 60,000-tensor report took minutes). A table whose every cell is one line, without ANSI codes,
 * with auto widths (no wrapping) is drawn here directly; anything else still goes through
 * cli-table3 (wrapped tables in row chunks, see {@link renderChunked}).
 */
import { createRequire } from "node:module";
import type Table from "cli-table3";

let tableClass: typeof Table | undefined;

/**
 * cli-table3, loaded on the first table drawn: most runs print JSON or a few lines, and loading
 * it (and its `string-width`) was part of every command's start-up (issue 18).
 */
export function cliTable3(): typeof Table {
  return (tableClass ??= createRequire(import.meta.url)("cli-table3") as typeof Table);
}

let widthFn: ((s: string) => number) | undefined | null = null;

/**
 * The display width function cli-table3 itself measures cells with (its own `string-width`
 * dependency, resolved from cli-table3's location so versions cannot drift); undefined when it
 * cannot be loaded, and then every table goes through cli-table3. Loaded on first use.
 */
function stringWidthFn(): ((s: string) => number) | undefined {
  if (widthFn === null) {
    try {
      const req = createRequire(import.meta.url);
      const fn = createRequire(req.resolve("cli-table3"))("string-width") as unknown;
      widthFn = typeof fn === "function" ? (fn as (s: string) => number) : undefined;
    } catch {
      widthFn = undefined;
    }
  }
  return widthFn;
}

/** Cells cli-table3 would split over lines or measure after stripping colour codes. */
const SPECIAL = /[\n\u001b]/;

/**
 * Characters whose display width is 1 under cli-table3's `string-width`, alone and in any
 * sequence (checked exhaustively over all pairs, and by table-render.test.ts): for cells made of
 * these the width is the code point count, which is ~50× cheaper than `string-width`.
 */
const NARROW = /^[\x20-\x7e\xa0-\u02ff\u0370-\u03ff\u2010-\u2027\u2030-\u205e\u2200-\u22ff]*$/;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * Draws `head` + `rows` (strings, each row as long as `head`) like cli-table3 with auto column
 * widths, or returns undefined when the table is not in the directly drawable form above.
 */
export function drawPlainTable(head: readonly string[], rows: readonly (readonly string[])[], align: readonly ("left" | "right")[]): string | undefined {
  const sw = stringWidthFn();
  if (sw === undefined || head.length === 0) return undefined;
  const n = head.length;
  const widths = new Array<number>(n).fill(0);
  // Display width of every cell, measured once: head first, then the rows.
  const cellWidths = new Int32Array((rows.length + 1) * n);
  const measure = (r: readonly string[], at: number): boolean => {
    if (r.length !== n) return false;
    for (let i = 0; i < n; i++) {
      const c = r[i]!;
      let w: number;
      if (NARROW.test(c)) w = codePoints(c);
      else if (SPECIAL.test(c)) return false;
      else w = sw(c);
      cellWidths[at + i] = w;
      if (w + 2 > widths[i]!) widths[i] = w + 2;
    }
    return true;
  };
  if (!measure(head, 0)) return undefined;
  for (let k = 0; k < rows.length; k++) if (!measure(rows[k]!, (k + 1) * n)) return undefined;
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w)).join(m) + r;
  const line = (r: readonly string[], at: number) => {
    let s = "│";
    for (let i = 0; i < n; i++) {
      const c = r[i]!;
      const pad = " ".repeat(widths[i]! - 2 - cellWidths[at + i]!);
      s += ` ${align[i] === "right" ? pad + c : c + pad} │`;
    }
    return s;
  };
  const out: string[] = [rule("┌", "┬", "┐"), line(head, 0)];
  const mid = rule("├", "┼", "┤");
  for (let k = 0; k < rows.length; k++) out.push(mid, line(rows[k]!, (k + 1) * n));
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}

/** Rows per cli-table3 call in {@link renderChunked}: small enough to keep its quadratic layout cheap. */
const CHUNK = 64;

/**
 * Draws a table with fixed `colWidths` through cli-table3 in chunks of rows and joins them. With
 * fixed widths every chunk draws its borders exactly as the whole table would, so the result is
 * identical; the first chunk carries the head, the others none (their top border becomes the
 * row separator).
 */
export function renderChunked(head: readonly string[], rows: readonly (readonly string[])[], options: { colAligns: ("left" | "right")[]; colWidths: number[]; wordWrap: boolean }): string {
  const base = { style: { head: [], border: [] }, ...options };
  if (rows.length <= CHUNK) {
    const t = new (cliTable3())({ head: [...head], ...base });
    for (const r of rows) t.push([...r]);
    return t.toString();
  }
  const parts: string[] = [];
  for (let start = 0; start < rows.length; start += CHUNK) {
    const first = start === 0;
    const t = new (cliTable3())({ head: first ? [...head] : [], ...base });
    const end = Math.min(rows.length, start + CHUNK);
    for (let i = start; i < end; i++) t.push([...rows[i]!]);
    const text = t.toString();
    const lines = text.split("\n");
    // Not the last chunk: drop its bottom border. Not the first: its top border is a separator.
    if (end < rows.length) lines.pop();
    if (!first) lines[0] = lines[0]!.replace(/^┌/, "├").replace(/┬/g, "┼").replace(/┐$/, "┤");
    parts.push(lines.join("\n"));
  }
  return parts.join("\n");
}
