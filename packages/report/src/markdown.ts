import type { CompareDocument } from "./document.js";
import { cellPoints } from "./points.js";
import { bestNote, flaggedOutputs, rankingOf } from "./ranking.js";
import { fidelityTable, fmtNum, fmtRel, heatTable, resultsTable } from "./tables.js";

function esc(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** The one-line status of a comparison (cells, seed, versions). */
export function statusLine(doc: CompareDocument): string {
  const t = doc.totals;
  const m = doc.manifest;
  const stop = doc.interrupted ? ` — interrupted: ${t.planned - t.finished} of ${t.planned} cells did not run` : "";
  return `${t.finished} of ${t.planned} cells finished (${t.ok} ok, ${t.failed} failed)${stop} · seed ${m.seed} · quantforge ${m.quantforgeVersion} · Node ${m.node}`;
}

/**
 * `report.md`: the results table (one row per cell, the best value of each bit-rate group in
 * bold), the failed cells with their errors, the model-output fidelity table (when the fidelity
 * evaluator ran), the per-layer SQNR table and the manifest.
 */
export function renderMarkdown(doc: CompareDocument): string {
  const points = cellPoints(doc.cells);
  const ranking = rankingOf(points);
  const table = resultsTable(points, ranking);
  const out: string[] = [`# quantforge compare — ${esc(doc.title)}`, "", statusLine(doc), ""];
  out.push(bestNote(ranking, "Bold"), "");
  out.push(row(table.head), row(table.head.map((_, i) => ((table.rows[0]?.[i]?.numeric ?? false) ? "---:" : "---"))));
  for (const r of table.rows) out.push(row(r.map((c) => (c.best ? `**${esc(c.text)}**` : esc(c.text)))));
  const failed = points.filter((p) => p.status === "failed");
  if (failed.length > 0) {
    out.push("", "## Failed cells", "");
    for (const p of failed) out.push(`- #${p.index} ${esc(p.label)}${p.point ? ` [${esc(p.point)}]` : ""} + ${esc(p.coder)}: ${esc(p.error ?? "")}`);
  }
  const fid = fidelityTable(doc.cells, points);
  if (fid.rows.length > 0) {
    out.push("", "## Model-output fidelity", "");
    out.push(
      "Relative output error ‖y_q − y_f‖/‖y_f‖ of the decoded model against the float model (fidelity evaluator): over every output value, of the worst output (flagged outputs left out), and per output when the model has several; output KL (nats) and top-1 agreement only for outputs that are distributions or logits over classes.",
      "",
    );
    const flags = flaggedOutputs(doc.cells);
    if (flags.length > 0) {
      out.push('Flagged outputs, left out of "worst output" (their relative error does not measure quality on these inputs):', "");
      for (const f of flags) out.push(`- \`${esc(f.name)}\`: ${esc(f.reason)}`);
      out.push("");
    }
    out.push(row(["#", "method", "point", "coder", "rel. error", "worst output", ...fid.outputs.map((o) => `rel. error ${esc(o)}`), "KL", "top-1 %"]));
    out.push(row(["---:", "---", "---", "---", "---:", "---:", ...fid.outputs.map(() => "---:"), "---:", "---:"]));
    for (const r of fid.rows) out.push(row([String(r.index), esc(r.label), esc(r.point || "–"), esc(r.coder), fmtRel(r.overall), fmtRel(r.worst), ...r.perOutput.map(fmtRel), fmtRel(r.kl), fmtNum(r.top1 === null ? null : 100 * r.top1, 2)]));
  }
  const heat = heatTable(doc.cells, points);
  if (heat.tensors.length > 0) {
    out.push("", `## Per-layer SQNR (dB, ${heat.source === "measured" ? "measured" : "σ-normalised"})`, "");
    out.push(row(["#", "method", "point", "coder", ...heat.tensors.map(esc)]), row(["---:", "---", "---", "---", ...heat.tensors.map(() => "---:")]));
    for (const r of heat.rows) out.push(row([String(r.index), esc(r.label), esc(r.point || "–"), esc(r.coder), ...r.values.map((v) => (v === "exact" ? "exact" : fmtNum(v, 2)))]));
  }
  const m = doc.manifest;
  out.push("", "## Manifest", "");
  out.push(`- seed: ${m.seed}`, `- quantforge: ${m.quantforgeVersion}`, `- Node: ${m.node}`);
  out.push(`- plugins: ${m.plugins.map((p) => `${p.kind} ${p.id}@${p.version}`).join(", ")}`);
  for (const f of m.inputs) out.push(`- input (${esc(f.role)}): \`${f.path}\`, ${f.bytes} bytes, SHA-256 \`${f.sha256}\``);
  out.push("", "Resolved configuration:", "", "```json", JSON.stringify(m.config, null, 2), "```", "");
  return out.join("\n");
}
