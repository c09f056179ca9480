/**
 * Fitting plain-text tables to the terminal: how wide the output may be, and how wide each
 * column gets. Pure functions; `renderTable` (output.ts) applies them through cli-table3.
 */

/** Narrowest a shrunk column gets, padding included (room for "ab…" plus padding). */
export const MIN_COLUMN = 6;

/**
 * The width tables on stdout must fit, or undefined for no limit:
 * - stdout is a terminal: its `columns`;
 * - otherwise the `COLUMNS` environment variable when it is a positive integer;
 * - otherwise no limit. Output piped to a file or another program is for tools (grep, awk):
 *   one row per line, never wrapped. `--json` is the machine format either way.
 */
export function outputWidth(stdout: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): number | undefined {
  if (stdout.isTTY && typeof stdout.columns === "number" && stdout.columns > 0) return stdout.columns;
  const c = env.COLUMNS;
  if (c !== undefined && /^\d+$/.test(c.trim()) && Number(c) > 0) return Number(c);
  return undefined;
}

/**
 * Column widths (cli-table3's `colWidths`: content plus one space of padding each side) that
 * make a table of `natural` widths fit `max` characters, borders included (n + 1 of them).
 * Only `shrinkable` columns (text) are narrowed, the widest first, never below
 * {@link MIN_COLUMN} or their natural width; numbers keep theirs. Returns `natural` unchanged
 * when it already fits, and the narrowest achievable widths when nothing fits `max`.
 */
export function fitColumnWidths(natural: readonly number[], shrinkable: readonly boolean[], max: number): number[] {
  const w = [...natural];
  const total = () => w.reduce((a, b) => a + b, 0) + w.length + 1;
  while (total() > max) {
    let k = -1;
    for (let i = 0; i < w.length; i++) if (shrinkable[i] && w[i]! > MIN_COLUMN && (k < 0 || w[i]! > w[k]!)) k = i;
    if (k < 0) break;
    // Shrink the widest down to the next widest (or to the target) in one step.
    let next = MIN_COLUMN;
    for (let i = 0; i < w.length; i++) if (i !== k && shrinkable[i] && w[i]! < w[k]! && w[i]! > next) next = w[i]!;
    w[k] = Math.max(next, w[k]! - (total() - max), MIN_COLUMN);
  }
  return w;
}
