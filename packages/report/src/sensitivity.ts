import type { TopLevelSpec } from "vega-lite";
import { escapeHtml } from "./html.js";
import { renderSvg } from "./svg.js";

/** One tensor of a sensitivity ranking, as the chart needs it (structurally what `evaluator-fidelity` produces). */
export interface SensitivityChartRow {
  readonly rank: number;
  readonly tensor: string;
  readonly count: number;
  readonly outputRelErrorWorst: { readonly value: number | null };
  readonly share: number | null;
  readonly sqnrDb: { readonly value: number | null };
}

/** What {@link renderSensitivityHtml} renders. */
export interface SensitivityChartInput {
  readonly model: string;
  readonly quantizer: string;
  readonly samples: number;
  readonly source: string;
  readonly rows: readonly SensitivityChartRow[];
}

/**
 * Horizontal bar chart (vega-lite) of the worst-output relative error each tensor causes when it
 * alone is quantized, most sensitive on top, log x axis; the tooltip carries the share and the
 * tensor's own SQNR. Tensors with an undefined error are left out.
 */
export function sensitivityChart(r: SensitivityChartInput): TopLevelSpec {
  const values = r.rows
    .filter((x) => x.outputRelErrorWorst.value !== null && x.outputRelErrorWorst.value > 0)
    .map((x) => ({
      tensor: x.tensor,
      rank: x.rank,
      error: x.outputRelErrorWorst.value,
      share: x.share,
      sqnrDb: x.sqnrDb.value,
      weights: x.count,
    }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Output error per tensor quantized alone — ${r.model}, ${r.quantizer}`,
    width: 520,
    height: { step: 18 },
    data: { values },
    mark: { type: "bar" },
    encoding: {
      y: { field: "tensor", type: "nominal", sort: { field: "rank", order: "ascending" }, title: null },
      x: { field: "error", type: "quantitative", scale: { type: "log" }, title: "worst-output relative error (log)" },
      color: { field: "share", type: "quantitative", title: "share of error²", scale: { scheme: "viridis" } },
      tooltip: [
        { field: "tensor", type: "nominal" },
        { field: "error", type: "quantitative", format: ".3e" },
        { field: "share", type: "quantitative", format: ".1%" },
        { field: "sqnrDb", type: "quantitative", format: ".2f", title: "tensor SQNR (dB)" },
        { field: "weights", type: "quantitative" },
      ],
    },
  };
}

/** A standalone HTML page with the sensitivity chart and the ranking table. */
export async function renderSensitivityHtml(r: SensitivityChartInput): Promise<string> {
  const svg = await renderSvg(sensitivityChart(r));
  const f = (v: number | null, d: number) => (v === null ? "—" : v.toPrecision(d));
  const rows = r.rows
    .map(
      (x) =>
        `<tr><td>${x.rank}</td><td>${escapeHtml(x.tensor)}</td><td>${x.count}</td><td>${f(x.outputRelErrorWorst.value, 4)}</td><td>${x.share === null ? "—" : `${(100 * x.share).toFixed(1)} %`}</td><td>${f(x.sqnrDb.value, 4)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Sensitivity — ${r.model}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}td:nth-child(2){text-align:left}</style></head>
<body><h1>${escapeHtml(`Sensitivity: ${r.model} — ${r.quantizer}`)}</h1>
<p>One tensor quantized at a time, every other tensor float; ${r.samples} ${escapeHtml(r.source)} input sample(s).</p>
<figure>${svg}</figure>
<table><thead><tr><th>rank</th><th>tensor</th><th>weights</th><th>worst-output rel. error</th><th>share of error²</th><th>tensor SQNR (dB)</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
