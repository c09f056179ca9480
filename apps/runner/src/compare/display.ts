import { printable } from "@quantforge/core";
import type { CompareCell, CompareCellSpec } from "@quantforge/core/host";
import { cellPoints, flaggedOutputs, rankingOf, resultsTable, type CompareDocument } from "@quantforge/report";
import { renderTable } from "../output.js";
import type { Runtime } from "../runtime.js";

/** Receives the events of a running comparison (progress on stderr). */
export interface CompareDisplay {
  start(spec: CompareCellSpec, total: number): void;
  progress(spec: CompareCellSpec, task: string, done: number, total: number): void;
  cell(cell: CompareCell, finished: number, total: number): void;
  /** Writes a note above the live area (interrupts, warnings). */
  note(text: string): void;
  /** Removes the live area; call before printing results. */
  finish(): void;
}

/** `rtn [bits=4] + fixed`: a cell's name in logs. */
export function cellName(c: { label: string; sweep?: Record<string, unknown>; coder: string; index?: number }): string {
  const point = Object.entries(c.sweep ?? {})
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(",");
  return `#${c.index ?? "?"} ${c.label}${point ? ` [${point}]` : ""} + ${c.coder}`;
}

/** One line on a finished cell: its main metrics, or its error. */
export function cellLine(c: CompareCell): string {
  if (c.status === "failed") return `failed ${cellName(c)}: ${c.error?.code ?? "QF_INTERNAL"}: ${c.error?.message ?? ""} (${c.seconds.toFixed(2)} s)`;
  const s = c.result?.summary ?? { count: 0 };
  const parts: string[] = [];
  if (s.exact === true) parts.push("exact");
  else if (typeof s.sqnrDb === "number") parts.push(`SQNR ${s.sqnrDb.toFixed(2)} dB`);
  if (typeof s.bitsPerWeight === "number") parts.push(`${s.bitsPerWeight.toFixed(3)} bits/w`);
  if (typeof s.accuracy === "number") parts.push(`accuracy ${(100 * s.accuracy).toFixed(2)}%`);
  if (typeof s.outputRelErrorWorst === "number") parts.push(`worst-output error ${s.outputRelErrorWorst.toPrecision(3)}`);
  return `ok     ${cellName(c)}: ${parts.join(" · ") || "no metrics"} (${c.seconds.toFixed(2)} s)`;
}

const SILENT: CompareDisplay = { start() {}, progress() {}, cell() {}, note() {}, finish() {} };

/** Plain logging for logs and pipes: one line per finished cell on stderr, no control characters. */
function lineDisplay(rt: Pick<Runtime, "err">): CompareDisplay {
  return {
    start() {},
    progress() {},
    cell(c, finished, total) {
      rt.err(`[${finished}/${total}] ${cellLine(c)}\n`);
    },
    note(text) {
      rt.err(`${text}\n`);
    },
    finish() {},
  };
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * The live multi-line display on a terminal: finished cells scroll above a block that shows the
 * overall count and one line per running cell with its current task. Redraws at most every
 * 100 ms (finishing a cell always redraws).
 */
function ttyDisplay(rt: Pick<Runtime, "err">, columns: number): CompareDisplay {
  const t0 = Date.now();
  const running = new Map<number, { name: string; task: string }>();
  let drawn = 0,
    ok = 0,
    failed = 0,
    finished = 0,
    total = 0,
    lastDraw = 0;
  const clip = (s: string) => (s.length > columns - 1 ? `${s.slice(0, columns - 2)}…` : s);
  const erase = () => {
    let s = "";
    for (let i = 0; i < drawn; i++) s += "\x1b[1A\x1b[2K";
    drawn = 0;
    return s;
  };
  const block = () => {
    const lines = [`compare: ${finished}/${total} cells (${ok} ok, ${failed} failed) · ${elapsed(Date.now() - t0)}`];
    for (const r of [...running.values()]) lines.push(`  ▸ ${r.name}${r.task ? ` — ${r.task}` : ""}`);
    drawn = lines.length;
    return lines.map((l) => `${clip(l)}\n`).join("");
  };
  const draw = (above = "", force = false) => {
    const now = Date.now();
    if (!force && !above && now - lastDraw < 100) return;
    lastDraw = now;
    rt.err(erase() + above + block());
  };
  return {
    start(spec, n) {
      total = n;
      running.set(spec.index, { name: cellName(spec), task: "" });
      draw("", true);
    },
    progress(spec, task, done, n) {
      const r = running.get(spec.index);
      if (!r) return;
      r.task = `${task} ${n > 0 ? Math.min(100, Math.floor((100 * done) / n)) : 0}%`;
      draw();
    },
    cell(c, f, n) {
      finished = f;
      total = n;
      if (c.status === "ok") ok++;
      else failed++;
      running.delete(c.index ?? -1);
      draw(`${c.status === "ok" ? "✓" : "✗"} ${cellLine(c)}\n`, true);
    },
    note(text) {
      draw(`${text}\n`, true);
    },
    finish() {
      if (drawn) rt.err(erase());
    },
  };
}

/**
 * The progress display of `compare`: live and multi-line on a terminal, one plain line per cell
 * otherwise (stderr either way, so `--json` keeps stdout clean); nothing with `quiet`.
 */
export function createCompareDisplay(rt: Pick<Runtime, "err" | "isTTY">, opts: { quiet?: boolean; columns?: number } = {}): CompareDisplay {
  if (opts.quiet) return SILENT;
  return rt.isTTY ? ttyDisplay(rt, opts.columns ?? (process.stderr.columns || 100)) : lineDisplay(rt);
}

/**
 * The results table `compare` prints on stdout, fitted to `columns` (undefined = no limit): the
 * best cell of each bit rate is starred in the ranking column only (the model-output metric when
 * one was measured, else weight SQNR), followed by what the star means, the flagged outputs and
 * the totals.
 */
export function resultsText(doc: CompareDocument, columns?: number): string {
  const points = cellPoints(doc.cells);
  const ranking = rankingOf(points);
  const t = resultsTable(points, ranking);
  const rows = t.rows.map((r) => r.map((c) => (c.best ? `${c.text} *` : c.text)));
  const align = t.head.map((_, i) => (t.rows[0]?.[i]?.numeric ? "right" : "left"));
  // Columns left out, in this order, while the table is wider than the terminal: ones that say
  // nothing here (one coder for every cell, every cell ok), then the least read ones.
  const same = (h: string) => new Set(rows.map((r) => r[t.head.indexOf(h)])).size <= 1;
  // The first kind goes before any text is cut; the second only when cutting is not enough.
  const droppable: [string, boolean][] = [...(same("coder") ? [["coder", true] as [string, boolean]] : []), ...(same("status") ? [["status", true] as [string, boolean]] : []), ["σ-norm SQNR dB", false], ["time s", false], ["bytes", false]];
  let keep = t.head.map((_, i) => i);
  const render = (width: number | undefined) =>
    renderTable(
      keep.map((i) => t.head[i]!),
      rows.map((r) => keep.map((i) => r[i]!)),
      keep.map((i) => align[i]!),
      width,
    );
  let s = render(columns);
  for (const [h, free] of droppable) {
    if (columns === undefined || widest(free ? render(undefined) : s) <= columns) continue;
    keep = keep.filter((i) => t.head[i] !== h);
    s = render(columns);
  }
  const left = t.head.filter((_, i) => !keep.includes(i));
  if (left.length > 0) s += `(left out to fit ${columns} columns: ${left.join(", ")}; all of them are in report.md and results.json)\n`;
  const by = ranking.metric === "sqnrDb" ? "best value of its bit rate (no model-output metric: ranked by weight SQNR)" : `best of its bit rate by ${ranking.label} (weight SQNR for reference only)`;
  s += `* ${by}. ${doc.totals.finished} of ${doc.totals.planned} cells (${doc.totals.ok} ok, ${doc.totals.failed} failed) in ${doc.totals.seconds.toFixed(1)} s\n`;
  for (const f of flaggedOutputs(doc.cells)) s += `output "${printable(f.name)}" left out of the worst-output error: ${f.reason}\n`;
  return s;
}

function widest(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points on purpose, as stringWidth in output.ts
  return Math.max(0, ...text.split("\n").map((l) => [...l].length));
}
