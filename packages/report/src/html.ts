import { compareCharts } from "./charts.js";
import type { CompareDocument } from "./document.js";
import { statusLine } from "./markdown.js";
import { cellPoints } from "./points.js";
import { renderSvg } from "./svg.js";
import { bestNote, flaggedOutputs, rankingOf } from "./ranking.js";
import { fidelityTable, fmtNum, fmtRel, heatTable, resultsTable, type HeatTable } from "./tables.js";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

// viridis at 0, ¼, ½, ¾, 1: perceptually even and readable in greyscale.
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** The heat colour of `t` in [0, 1] (viridis), as `rgb(…)`. */
export function heatColor(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i]!.map((a, k) => Math.round(a + f * (VIRIDIS[i + 1]![k]! - a)));
  return `rgb(${c.join(",")})`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1440px;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.status{color:#555}.warn{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .8rem;border-radius:4px}
figure{margin:0}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(680px,1fr));gap:1.5rem 2rem}figcaption{color:#555;font-size:.9rem;max-width:860px}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:700}
tr.failed td{color:#a33}table.heat td.num{min-width:4.5rem}pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:.8rem}
.note{color:#666;font-style:italic}`;

function tag(name: string, attrs: Record<string, string>, body: string): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join("");
  return `<${name}${a}>${body}</${name}>`;
}

function heatHtml(h: HeatTable): string {
  if (h.tensors.length === 0) return tag("p", { class: "note" }, "No per-tensor SQNR (no cell finished).");
  const span = h.min !== null && h.max !== null && h.max > h.min ? h.max - h.min : 1;
  const head = tag("tr", {}, ["#", "method", "point", "coder", ...h.tensors].map((t) => tag("th", {}, escapeHtml(t))).join(""));
  const rows = h.rows.map((r) => {
    const lead = [String(r.index), r.label, r.point || "–", r.coder].map((t, i) => tag("td", i === 0 ? { class: "num" } : {}, escapeHtml(t))).join("");
    const vals = r.values
      .map((v) => {
        if (v === null) return tag("td", { class: "num" }, "–");
        const t = v === "exact" ? 1 : (v - (h.min ?? 0)) / span;
        const style = `background:${heatColor(t)};color:${t < 0.6 ? "#fff" : "#000"}`;
        return tag("td", { class: "num", style }, v === "exact" ? "exact" : fmtNum(v, 2));
      })
      .join("");
    return tag("tr", {}, lead + vals);
  });
  return tag("table", { class: "heat", id: "heat-table" }, head + rows.join(""));
}

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /**
   * Render the vega-lite charts (default true). Rendering them is the slow part of the page
   * (≈ 0.5 s of CPU, more on a loaded machine), so `compare` leaves them out when it writes the
   * finished cells of an interrupted run and must exit within 2 s.
   */
  readonly charts?: boolean;
}

/**
 * `report.html`: one self-contained page — no scripts, no external resources. The charts are
 * vega-lite specs rendered to inline SVG on the server (see `renderSvg`), followed by the
 * results table (best per bit rate in bold), the failed cells, the per-layer SQNR heat table
 * and the manifest.
 */
export async function renderHtml(doc: CompareDocument, options: RenderHtmlOptions = {}): Promise<string> {
  const points = cellPoints(doc.cells);
  const charts = options.charts === false ? [] : compareCharts(points);
  const parts: string[] = [];
  parts.push(tag("h1", {}, `quantforge compare — ${escapeHtml(doc.title)}`));
  parts.push(tag("p", { class: "status" }, escapeHtml(statusLine(doc))));
  if (doc.interrupted) parts.push(tag("p", { class: "warn" }, "This run was interrupted: only the cells that finished are shown."));
  parts.push(tag("h2", {}, "Charts"));
  if (!points.some((p) => p.accuracy !== null)) parts.push(tag("p", { class: "note" }, "No accuracy charts: no cell has an accuracy (compare a model with the accuracy evaluator to get them)."));
  const figures: string[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    figures.push(tag("figure", { id: `chart-${c.id}`, class: "chart" }, tag("h3", {}, escapeHtml(c.title)) + svg + tag("figcaption", {}, escapeHtml(c.caption))));
  }
  if (figures.length > 0) parts.push(tag("div", { class: "charts" }, figures.join("")));
  if (options.charts === false) parts.push(tag("p", { class: "note" }, "Charts left out: this page was written on an interrupt, when exiting fast matters more (re-run to get them)."));
  else if (charts.length === 0) parts.push(tag("p", { class: "note" }, "No charts: no cell finished with metrics."));
  const ranking = rankingOf(points);
  const table = resultsTable(points, ranking);
  parts.push(tag("h2", {}, "Results"));
  parts.push(tag("p", { class: "note", id: "ranked-by", "data-metric": ranking.metric }, escapeHtml(bestNote(ranking, "Bold"))));
  const head = tag("tr", {}, table.head.map((h) => tag("th", {}, escapeHtml(h))).join(""));
  const rows = table.rows.map((r, i) =>
    tag("tr", points[i]!.status === "failed" ? { class: "failed" } : {}, r.map((c) => tag("td", c.numeric || c.best ? { class: [c.numeric ? "num" : "", c.best ? "best" : ""].filter(Boolean).join(" ") } : {}, escapeHtml(c.text))).join("")),
  );
  parts.push(tag("table", { id: "results-table" }, head + rows.join("")));
  const failed = points.filter((p) => p.status === "failed");
  if (failed.length > 0) {
    parts.push(tag("h2", {}, "Failed cells"));
    parts.push(tag("ul", { id: "failed-cells" }, failed.map((p) => tag("li", {}, escapeHtml(`#${p.index} ${p.label}${p.point ? ` [${p.point}]` : ""} + ${p.coder}: ${p.error ?? ""}`))).join("")));
  }
  const fid = fidelityTable(doc.cells, points);
  if (fid.rows.length > 0) {
    parts.push(tag("h2", {}, "Model-output fidelity"));
    parts.push(
      tag(
        "p",
        { class: "note" },
        "Relative output error ‖y_q − y_f‖/‖y_f‖ of the decoded model against the float model: over every output value, of the worst output (flagged outputs left out), and per output; output KL (nats) and top-1 agreement only for outputs that are distributions or logits over classes.",
      ),
    );
    const flags = flaggedOutputs(doc.cells);
    if (flags.length > 0) {
      parts.push(tag("p", {}, "Flagged outputs, left out of “worst output” (their relative error does not measure quality on these inputs):"));
      parts.push(tag("ul", { id: "flagged-outputs" }, flags.map((f) => tag("li", {}, `${tag("code", {}, escapeHtml(f.name))}: ${escapeHtml(f.reason)}`)).join("")));
    }
    const fh = ["#", "method", "point", "coder", "rel. error", "worst output", ...fid.outputs.map((o) => `rel. error ${o}`), "KL", "top-1 %"];
    const fr = fid.rows.map((r) =>
      tag(
        "tr",
        {},
        [String(r.index), r.label, r.point || "–", r.coder, fmtRel(r.overall), fmtRel(r.worst), ...r.perOutput.map(fmtRel), fmtRel(r.kl), fmtNum(r.top1 === null ? null : 100 * r.top1, 2)]
          .map((v, i) => tag("td", i === 0 || i >= 4 ? { class: "num" } : {}, escapeHtml(v)))
          .join(""),
      ),
    );
    parts.push(tag("table", { id: "fidelity-table" }, tag("tr", {}, fh.map((h) => tag("th", {}, escapeHtml(h))).join("")) + fr.join("")));
  }
  const heat = heatTable(doc.cells, points);
  parts.push(tag("h2", {}, `Per-layer SQNR (dB, ${heat.source === "measured" ? "measured" : "σ-normalised"})`));
  parts.push(heatHtml(heat));
  const m = doc.manifest;
  parts.push(tag("h2", {}, "Manifest"));
  const inputs = m.inputs.map((f) => tag("li", {}, escapeHtml(`${f.role}: ${f.path} (${f.bytes} bytes) SHA-256 ${f.sha256}`))).join("");
  parts.push(
    tag(
      "ul",
      {},
      tag("li", {}, `seed ${m.seed}`) + tag("li", {}, escapeHtml(`quantforge ${m.quantforgeVersion}, Node ${m.node}`)) + tag("li", {}, escapeHtml(`plugins: ${m.plugins.map((p) => `${p.kind} ${p.id}@${p.version}`).join(", ")}`)) + inputs,
    ),
  );
  parts.push(tag("pre", { id: "manifest-config" }, escapeHtml(JSON.stringify(m.config, null, 2))));
  const title = escapeHtml(`quantforge compare — ${doc.title}`);
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${title}</title>\n<style>${CSS}</style>\n</head>\n<body>\n${parts.join("\n")}\n</body>\n</html>\n`;
}
