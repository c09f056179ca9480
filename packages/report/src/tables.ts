import type { CompareCell } from "@quantforge/core/host";
import { bestInGroup, type Better, type CellPoint } from "./points.js";
import { rankingOf, type Ranking } from "./ranking.js";

/** One cell of a rendered table: its text and whether it is the best of its rate group. */
export interface TableCell {
  readonly text: string;
  readonly best: boolean;
  /** Right-align (numbers). */
  readonly numeric: boolean;
}

/** A table ready for Markdown or HTML. */
export interface Table {
  readonly head: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
  /** What "best" means in this table (see `rankingOf`). */
  readonly ranking?: Ranking;
}

/** Formats a number with `digits` decimals; `–` for null. */
export function fmtNum(v: number | null, digits: number): string {
  return v === null ? "–" : v.toFixed(digits);
}

interface Column {
  readonly head: string;
  readonly value?: (p: CellPoint) => number | null;
  readonly text: (p: CellPoint) => string;
  readonly better?: Better;
  /** The ranking metric this column shows (its best is "the best cell"). */
  readonly rank?: Ranking["metric"];
}

const pct = (v: number | null) => (v === null ? null : 100 * v);

/**
 * The results table: one row per cell in plan order. "Best" of each rate group (see
 * `rateGroup`) follows the ranking (`rankingOf`): with a model-output metric (accuracy, or the
 * fidelity evaluator's worst-output relative error) only that column is marked, so a high
 * weight SQNR is never shown as best while the outputs are wrong; without one, every metric
 * column marks its best (smallest bits/weight and bytes; largest SQNR, σ-normalised SQNR,
 * accuracy and agreement). Accuracy and fidelity columns appear only when some cell has them.
 */
export function resultsTable(points: readonly CellPoint[], ranking: Ranking = rankingOf(points)): Table {
  const hasAcc = points.some((p) => p.accuracy !== null);
  const hasFid = points.some((p) => p.outputRelErrorWorst !== null || p.top1 !== null);
  const cols: Column[] = [
    { head: "#", text: (p) => String(p.index) },
    { head: "method", text: (p) => p.label },
    { head: "point", text: (p) => p.point || "–" },
    { head: "coder", text: (p) => p.coder },
    { head: "status", text: (p) => (p.status === "ok" ? "ok" : `failed (${(p.error ?? "").split(":")[0]})`) },
    { head: "bits/w", value: (p) => p.bitsPerWeight, text: (p) => fmtNum(p.bitsPerWeight, 3), better: "min" },
    { head: "bytes", value: (p) => p.bytes, text: (p) => fmtNum(p.bytes, 0), better: "min" },
    { head: "SQNR dB", value: (p) => p.sqnrDb, text: (p) => (p.exact ? "exact" : fmtNum(p.sqnrDb, 2)), better: "max", rank: "sqnrDb" },
    { head: "σ-norm SQNR dB", value: (p) => p.normSqnrDb, text: (p) => fmtNum(p.normSqnrDb, 2), better: "max" },
    ...(hasAcc
      ? [
          { head: "accuracy %", value: (p: CellPoint) => pct(p.accuracy), text: (p: CellPoint) => fmtNum(pct(p.accuracy), 2), better: "max" as const, rank: "accuracy" as const },
          { head: "agreement %", value: (p: CellPoint) => pct(p.agreement), text: (p: CellPoint) => fmtNum(pct(p.agreement), 2), better: "max" as const },
        ]
      : []),
    ...(hasFid
      ? [
          { head: "worst out. err", value: (p: CellPoint) => p.outputRelErrorWorst, text: (p: CellPoint) => fmtRel(p.outputRelErrorWorst), better: "min" as const, rank: "outputRelErrorWorst" as const },
          { head: "top-1 %", value: (p: CellPoint) => pct(p.top1), text: (p: CellPoint) => fmtNum(pct(p.top1), 2), better: "max" as const },
        ]
      : []),
    { head: "time s", text: (p) => p.seconds.toFixed(2) },
  ];
  const byOutput = ranking.metric !== "sqnrDb";
  const best = cols.map((c) => (c.value && c.better && (!byOutput || c.rank === ranking.metric) ? bestInGroup(points, c.value, c.better) : points.map(() => false)));
  return {
    head: cols.map((c) => c.head),
    rows: points.map((p, r) => cols.map((c, i) => ({ text: c.text(p), best: best[i]![r]!, numeric: i === 0 || c.value !== undefined || c.head === "time s" }))),
    ranking,
  };
}

/** The per-layer SQNR heat table: rows = ok cells, columns = quantized tensors, values in dB. */
export interface HeatTable {
  readonly tensors: readonly string[];
  readonly rows: readonly { readonly index: number; readonly label: string; readonly point: string; readonly coder: string; readonly values: readonly (number | "exact" | null)[] }[];
  /** `measured` (sqnr evaluator's per-tensor sqnrDb) or `normalised` (σ-normalised, when the sqnr evaluator did not run). */
  readonly source: "measured" | "normalised";
  readonly min: number | null;
  readonly max: number | null;
}

/** Builds the {@link HeatTable} from the ok cells. */
export function heatTable(cells: readonly CompareCell[], points: readonly CellPoint[]): HeatTable {
  const ok = cells.map((c, i) => ({ c, p: points[i]! })).filter(({ c }) => c.status === "ok" && c.result);
  const measured = ok.some(({ c }) => c.result!.tensors.some((t) => typeof t.sqnrDb === "number" || t.exact === true));
  const tensors: string[] = [];
  for (const { c } of ok) for (const t of c.result!.tensors) if (!tensors.includes(t.name)) tensors.push(t.name);
  let min: number | null = null,
    max: number | null = null;
  const rows = ok.map(({ c, p }) => {
    const values = tensors.map((name): number | "exact" | null => {
      if (measured) {
        const t = c.result!.tensors.find((x) => x.name === name);
        if (!t) return null;
        if (t.exact === true) return "exact";
        return typeof t.sqnrDb === "number" ? t.sqnrDb : null;
      }
      const n = c.normalized?.tensors.find((x) => x.name === name);
      if (!n) return null;
      return n.sqnrDb ?? (n.reason === "exact reconstruction" ? "exact" : null);
    });
    for (const v of values) {
      if (typeof v !== "number") continue;
      min = min === null ? v : Math.min(min, v);
      max = max === null ? v : Math.max(max, v);
    }
    return { index: p.index, label: p.label, point: p.point, coder: p.coder, values };
  });
  return { tensors, rows, source: measured ? "measured" : "normalised", min, max };
}

/** The model-output fidelity table (fidelity evaluator): rows = ok cells with fidelity metrics. */
export interface FidelityTable {
  /** Outputs with their own column (`outputRelError:<name>`: models with several outputs). */
  readonly outputs: readonly string[];
  readonly rows: readonly {
    readonly index: number;
    readonly label: string;
    readonly point: string;
    readonly coder: string;
    /** ‖Δy‖/‖y‖ over every output value. */
    readonly overall: number | null;
    /** The largest per-output relative error. */
    readonly worst: number | null;
    /** Per output, in {@link FidelityTable.outputs} order. */
    readonly perOutput: readonly (number | null)[];
    readonly kl: number | null;
    readonly top1: number | null;
  }[];
}

const PER_OUTPUT = "outputRelError:";

/**
 * The {@link FidelityTable} of the ok cells whose summary has the fidelity evaluator's
 * `outputRelError` (empty rows when none has): relative output error overall, of the worst
 * output and per output, output KL and top-1 agreement.
 */
export function fidelityTable(cells: readonly CompareCell[], points: readonly CellPoint[]): FidelityTable {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const ok = cells.map((c, i) => ({ c, p: points[i]! })).filter(({ c }) => c.status === "ok" && c.result && "outputRelError" in c.result.summary);
  const outputs: string[] = [];
  for (const { c } of ok) for (const k of Object.keys(c.result!.summary)) if (k.startsWith(PER_OUTPUT) && !k.endsWith("Reason") && !outputs.includes(k.slice(PER_OUTPUT.length))) outputs.push(k.slice(PER_OUTPUT.length));
  return {
    outputs,
    rows: ok.map(({ c, p }) => {
      const s = c.result!.summary;
      return {
        index: p.index,
        label: p.label,
        point: p.point,
        coder: p.coder,
        overall: num(s.outputRelError),
        worst: num(s.outputRelErrorWorst),
        perOutput: outputs.map((o) => num(s[`${PER_OUTPUT}${o}`])),
        kl: num(s.outputKl),
        top1: num(s.top1Agreement),
      };
    }),
  };
}

/** Formats a relative error: 4 significant digits, exponent form below 1e-3; `–` for null. */
export function fmtRel(v: number | null): string {
  if (v === null) return "–";
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
}
