import type { TopLevelSpec } from "vega-lite";
import { mismatchSqnrDb } from "@quantforge/theory-laplacian";
import { paretoFront, type CellPoint } from "./points.js";

/** Ids of the charts of the HTML report, in page order. */
export type ChartId = "sqnr" | "accuracy-bits" | "accuracy-size" | "normalized" | "output-error";

/** A chart of the report: its vega-lite spec and what it plots (the browser test counts marks with it). */
export interface ChartSpec {
  readonly id: ChartId;
  readonly title: string;
  /** One line per chart under it: what it shows and what the references are. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** Number of method lines, plotted cells, Pareto points and reference curves. */
  readonly counts: { readonly series: number; readonly cells: number; readonly pareto: number; readonly references: number };
}

/** Legend name of the Pareto front. */
export const PARETO_LABEL = "Pareto front (best y for no more x)";
/** Legend name of the Laplacian Shannon-lower-bound reference. */
export const SLB_LABEL = "reference: Shannon lower bound, unit-variance Laplacian: 6.02·R + 10·log10(π/e) dB";
/** Legend name of the optimal fixed-rate uniform quantizer reference. */
export const UNIFORM_LABEL = "reference: optimal fixed-rate uniform quantizer, Laplacian σ = 1 (theory)";
/** Legend name of the float model's accuracy. */
export const FLOAT_LABEL = "reference: float32 model";

const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"];
const REF_COLORS = ["#555555", "#999999"];

interface Row {
  x: number;
  y: number;
  series: string;
  kind: "method" | "reference" | "pareto";
}

/** Rate–distortion reference for a unit-variance Laplacian: SLB SQNR = 20·log10(2)·R + 10·log10(π/e) dB. */
export function laplacianSlbDb(bits: number): number {
  return 20 * Math.log10(2) * bits + 10 * Math.log10(Math.PI / Math.E);
}

/**
 * The two Laplacian references at integer rates `lo…hi` (clamped to 1…16): the SQNR of the
 * MSE-optimal N = 2^R-level uniform quantizer for a σ = 1 Laplacian (exact, from
 * `@quantforge/theory-laplacian`) and the Shannon lower bound of the same source.
 */
export function laplacianReferences(lo: number, hi: number): { uniform: { bits: number; sqnrDb: number }[]; slb: { bits: number; sqnrDb: number }[] } {
  const a = Math.max(1, Math.min(16, Math.floor(lo)));
  const b = Math.max(a + 1, Math.min(16, Math.ceil(hi)));
  const uniform: { bits: number; sqnrDb: number }[] = [];
  const slb: { bits: number; sqnrDb: number }[] = [];
  for (let r = a; r <= b; r++) {
    uniform.push({ bits: r, sqnrDb: mismatchSqnrDb(r, 1, "optimal") });
    slb.push({ bits: r, sqnrDb: laplacianSlbDb(r) });
  }
  return { uniform, slb };
}

function layered(id: ChartId, rows: Row[], axes: { x: string; y: string; xScale?: Record<string, unknown>; yScale?: Record<string, unknown> }, seriesNames: string[], refNames: string[]): TopLevelSpec {
  const domain = [...seriesNames, ...refNames, PARETO_LABEL];
  const range = [...seriesNames.map((_, i) => PALETTE[i % PALETTE.length]!), ...refNames.map((_, i) => REF_COLORS[i % REF_COLORS.length]!), "#000000"];
  const x = { field: "x", type: "quantitative", title: axes.x, scale: { zero: false, ...axes.xScale } } as const;
  const y = { field: "y", type: "quantitative", title: axes.y, scale: { zero: false, ...axes.yScale } } as const;
  const color = { field: "series", type: "nominal", title: null, scale: { domain, range }, legend: { orient: "bottom", columns: 1, labelLimit: 0, labelFontSize: 11, symbolSize: 80 } } as const;
  const only = (kind: Row["kind"]) => ({ filter: { field: "kind", equal: kind } });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 600,
    height: 340,
    background: "white",
    config: { font: "sans-serif", view: { stroke: "#ddd" } },
    data: { values: rows },
    encoding: { x, y, color },
    layer: [
      { name: `${id.replace(/-/g, "_")}_references`, transform: [only("reference")], mark: { type: "line", strokeDash: [6, 4], strokeWidth: 1.5 } },
      { name: `${id.replace(/-/g, "_")}_series`, transform: [only("method")], mark: { type: "line", strokeWidth: 2 } },
      { name: `${id.replace(/-/g, "_")}_cells`, transform: [only("method")], mark: { type: "point", filled: true, size: 45, opacity: 1 } },
      { name: `${id.replace(/-/g, "_")}_pareto_line`, transform: [only("pareto")], mark: { type: "line", strokeDash: [2, 2], strokeWidth: 1, interpolate: "step-after" } },
      { name: `${id.replace(/-/g, "_")}_pareto`, transform: [only("pareto")], mark: { type: "point", filled: false, size: 220, strokeWidth: 1.5 } },
    ],
  };
}

const minOf = (v: readonly number[]) => v.reduce((a, b) => Math.min(a, b), Infinity);
const maxOf = (v: readonly number[]) => v.reduce((a, b) => Math.max(a, b), -Infinity);

function build(
  id: ChartId,
  title: string,
  caption: string,
  points: readonly CellPoint[],
  x: (p: CellPoint) => number | null,
  y: (p: CellPoint) => number | null,
  axes: { x: string; y: string; xScale?: Record<string, unknown> },
  refs: { name: string; rows: { x: number; y: number }[] }[],
): ChartSpec | null {
  const usable = points.filter((p) => p.status === "ok" && x(p) !== null && y(p) !== null);
  if (usable.length === 0) return null;
  const seriesNames = [...new Set(usable.map((p) => p.series))];
  const rows: Row[] = usable.map((p) => ({ x: x(p)!, y: y(p)!, series: p.series, kind: "method" }));
  const front = paretoFront(usable, x, y);
  // Loops, not push(...)/Math.min(...): a results file may hold any number of cells.
  for (const p of front) rows.push({ x: x(p)!, y: y(p)!, series: PARETO_LABEL, kind: "pareto" });
  for (const r of refs) for (const v of r.rows) rows.push({ ...v, series: r.name, kind: "reference" });
  return {
    id,
    title,
    caption,
    spec: layered(
      id,
      rows,
      axes,
      seriesNames,
      refs.map((r) => r.name),
    ),
    counts: { series: seriesNames.length, cells: usable.length, pareto: front.length, references: refs.length },
  };
}

/**
 * The report's charts for the given cells (a chart without data is left out): pooled SQNR vs
 * bits/weight; accuracy vs bits/weight and vs compressed size (models only, with the float
 * model's accuracy as a reference line); and per-tensor σ-normalised SQNR vs bits per quantized
 * weight with the two Laplacian references — the only chart where they are valid bounds, since
 * they describe a unit-variance Laplacian source, not raw weights pooled across layers.
 */
export function compareCharts(points: readonly CellPoint[]): ChartSpec[] {
  const ok = points.filter((p) => p.status === "ok");
  const xs = (f: (p: CellPoint) => number | null) => ok.map(f).filter((v): v is number => v !== null);
  const charts: (ChartSpec | null)[] = [];
  charts.push(
    build(
      "sqnr",
      "SQNR vs bits per weight",
      "SQNR of all quantized weights pooled (measured on the weights decoded from the coded bytes) against the coded model's bits per weight (headers, codebooks and float32 passthrough tensors included).",
      points,
      (p) => p.bitsPerWeight,
      (p) => p.sqnrDb,
      { x: "bits per weight (whole coded model)", y: "SQNR (dB), quantized weights pooled" },
      [],
    ),
  );
  const floatAcc = ok.find((p) => p.floatAccuracy !== null)?.floatAccuracy ?? null;
  const floatRef = (vals: number[]) =>
    floatAcc === null || vals.length === 0
      ? []
      : [
          {
            name: FLOAT_LABEL,
            rows: [
              { x: minOf(vals), y: 100 * floatAcc },
              { x: maxOf(vals), y: 100 * floatAcc },
            ],
          },
        ];
  const acc = (p: CellPoint) => (p.accuracy === null ? null : 100 * p.accuracy);
  const kib = (p: CellPoint) => (p.bytes === null ? null : p.bytes / 1024);
  charts.push(
    build(
      "accuracy-bits",
      "Accuracy vs bits per weight",
      "Top-1 test accuracy of the model with the decoded weights against the coded model's bits per weight.",
      points,
      (p) => p.bitsPerWeight,
      acc,
      { x: "bits per weight (whole coded model)", y: "top-1 accuracy (%)" },
      floatRef(xs((p) => (acc(p) === null ? null : p.bitsPerWeight))),
    ),
  );
  charts.push(
    build(
      "accuracy-size",
      "Accuracy vs compressed size",
      "Top-1 test accuracy against the size of the coded model file (KiB).",
      points,
      kib,
      acc,
      { x: "coded model size (KiB)", y: "top-1 accuracy (%)" },
      floatRef(xs((p) => (acc(p) === null ? null : kib(p)))),
    ),
  );
  const nx = xs((p) => (p.normSqnrDb === null ? null : p.normBitsPerWeight));
  let refs: { name: string; rows: { x: number; y: number }[] }[] = [];
  if (nx.length > 0) {
    const r = laplacianReferences(minOf(nx), maxOf(nx));
    refs = [
      { name: SLB_LABEL, rows: r.slb.map((v) => ({ x: v.bits, y: v.sqnrDb })) },
      { name: UNIFORM_LABEL, rows: r.uniform.map((v) => ({ x: v.bits, y: v.sqnrDb })) },
    ];
  }
  charts.push(
    build(
      "normalized",
      "Per-tensor σ-normalised SQNR vs bits per quantized weight",
      "Every quantized tensor scaled to unit variance, distortions pooled: 10·log10(Σn / Σ n·MSE/σ²). Dashed grey: Laplacian references (valid bounds only for this normalised view of Laplacian-like data).",
      points,
      (p) => p.normBitsPerWeight,
      (p) => p.normSqnrDb,
      { x: "bits per quantized weight (streams + codebooks)", y: "σ-normalised SQNR (dB)" },
      refs,
    ),
  );
  return charts.filter((c): c is ChartSpec => c !== null);
}

/**
 * Model-output error against size, for comparisons that ran the fidelity evaluator: the
 * worst-output relative error of the decoded model (log scale; lower is better) against the
 * coded model's bits per weight, with the Pareto front of the cells no other cell beats in both.
 * Cells with an exact (0) or undefined error are left out. Null when no cell has one.
 */
export function outputErrorChart(points: readonly CellPoint[]): ChartSpec | null {
  const err = (p: CellPoint) => (p.outputRelErrorWorst !== null && p.outputRelErrorWorst > 0 ? p.outputRelErrorWorst : null);
  const usable = points.filter((p) => p.status === "ok" && p.bitsPerWeight !== null && err(p) !== null);
  if (usable.length === 0) return null;
  const seriesNames = [...new Set(usable.map((p) => p.series))];
  const rows: Row[] = usable.map((p) => ({ x: p.bitsPerWeight!, y: err(p)!, series: p.series, kind: "method" }));
  // paretoFront keeps the largest y: negate the error, whose smallest value is best.
  const front = paretoFront(
    usable,
    (p) => p.bitsPerWeight,
    (p) => -err(p)!,
  );
  for (const p of front) rows.push({ x: p.bitsPerWeight!, y: err(p)!, series: PARETO_LABEL, kind: "pareto" });
  return {
    id: "output-error",
    title: "Model-output error vs bits per weight",
    caption: "Worst-output relative error ‖ŷ − y‖/‖y‖ of the model with the decoded weights against the float model, on the fidelity inputs (log scale; lower is better), against the coded model's bits per weight.",
    spec: layered("output-error", rows, { x: "bits per weight (whole coded model)", y: "worst-output relative error (log)", yScale: { type: "log" } }, seriesNames, []),
    counts: { series: seriesNames.length, cells: usable.length, pareto: front.length, references: 0 },
  };
}
