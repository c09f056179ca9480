import type { ModelResult } from "./types.js";

const mb = (b: number | null): string => (b === null ? "–" : `${(b / 1024 / 1024).toFixed(0)} MB`);
const sci = (v: number | null): string => (v === null ? "–" : v === 0 ? "0" : v.toExponential(2));
const code = (c: { exitCode: number | null; errorCode: string | null } | null): string => (c === null ? "n/a" : c.exitCode === 0 ? "0" : `${c.exitCode ?? "killed"}${c.errorCode ? ` ${c.errorCode}` : ""}`);
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The results document (`results/real-models.json`). */
export function renderJson(models: ModelResult[], meta: Record<string, unknown>): string {
  return `${JSON.stringify({ format: "quantforge-corpus", version: 1, ...meta, models }, null, 2)}\n`;
}

/** The Markdown summary: one overview row per model, then cells, targets and failures. */
export function renderMarkdown(models: ModelResult[], meta: { title: string; command: string; commit: string; date: string; profile: string }): string {
  const lines: string[] = [`# ${meta.title}`, "", `\`${meta.command}\` at \`${meta.commit}\`, ${meta.date} (${meta.profile}).`, ""];
  lines.push(
    "Float weights are counted by the corpus itself (ONNX initializers and Constant values, subgraphs included; tfjs manifest float32 entries); " +
      '"quantized" is the qf target\'s quantized weight count over that. Exit codes: 0 ok, 1 runtime failure, 2 usage/input error (with the error code). ' +
      "Reload: the written model run in a stock runtime (tfjs / onnxruntime-node) against the original model carrying the evaluated (decoded) weights, same inputs; " +
      "agrees when every output's relative L2 difference is ≤ 1e-4 (a [0, 1] map pinned near 0 or 1 on these inputs: max |Δ| ≤ 1e-4, its range being 1). \"indep. err\" is that reference's worst relative output error against the float model in the stock runtime.",
    "",
  );
  const ok = models.filter((m) => m.acceptance.ok).length;
  lines.push(`**${ok} of ${models.length} models pass every acceptance check.**`, "");
  lines.push("| model | format | float weights | quantized | sensitivity | compare (cells ok) | quantize targets (exit, ratio, reload) | indep. err | wall s | peak RSS | pass |");
  lines.push("|---|---|---:|---:|---|---|---|---:|---:|---:|---|");
  for (const m of models) {
    const w = m.weights;
    const cells = m.compare ? `${code(m.compare)} (${m.compare.cells.filter((c) => c.status === "ok").length}/${m.compare.cells.length})` : "–";
    const targets = m.quantize.map((q) => `${q.target}: ${code(q)}${q.ratio ? `, ${q.ratio.toFixed(2)}×` : ""}${q.exitCode === 0 ? `, ${q.reload.status}` : ""}`).join("<br>");
    lines.push(
      `| ${cell(m.id)} | ${m.format} | ${w ? `${w.floatWeights.toLocaleString("en-US")} in ${w.floatTensors}` : "–"} | ${w?.quantizedPct != null ? `${w.quantizedPct.toFixed(1)} %` : "–"} | ${code(m.sensitivity)} | ${cells} | ${targets} | ${sci(m.independentWorstRelError)} | ${m.wallSeconds.toFixed(0)} | ${mb(m.peakRssBytes)} | ${m.acceptance.ok ? "yes" : "**no**"} |`,
    );
  }
  lines.push("", "## Compare cells (worst model-output relative error, bits/weight)", "");
  const labels = [...new Set(models.flatMap((m) => m.compare?.cells.map((c) => `${c.label}@${c.bits}`) ?? []))];
  if (labels.length > 0) {
    lines.push(`| model | ${labels.join(" | ")} |`, `|---|${labels.map(() => "---:").join("|")}|`);
    for (const m of models) {
      const row = labels.map((l) => {
        const c = m.compare?.cells.find((x) => `${x.label}@${x.bits}` === l);
        if (!c) return "–";
        if (c.status !== "ok") return `${c.status}${c.errorCode ? ` ${c.errorCode}` : ""}`;
        return `${sci(c.worstRelError)} (${c.bitsPerWeight?.toFixed(2) ?? "–"} b/w)`;
      });
      lines.push(`| ${cell(m.id)} | ${row.join(" | ")} |`);
    }
  }
  lines.push("", "## Quantize targets (rtn 8-bit)", "", "| model | target | exit | input bytes | output bytes | ratio | report worst rel err | reload | max rel diff | s | RSS |", "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|");
  for (const m of models)
    for (const q of m.quantize)
      lines.push(
        `| ${cell(m.id)} | ${q.target} | ${code(q)} | ${q.inputBytes ?? "–"} | ${q.outputBytes ?? "–"} | ${q.ratio?.toFixed(2) ?? "–"} | ${sci(q.reportWorstRelError)} | ${q.reload.status} | ${sci(q.reload.maxRelDiff)} | ${q.wallSeconds.toFixed(1)} | ${mb(q.peakRssBytes)} |`,
      );
  const failing = models.filter((m) => !m.acceptance.ok);
  if (failing.length > 0) {
    lines.push("", "## Failures", "");
    for (const m of failing) for (const f of m.acceptance.failures) lines.push(`- **${cell(m.id)}** — ${cell(f)}`);
  }
  return `${lines.join("\n")}\n`;
}
