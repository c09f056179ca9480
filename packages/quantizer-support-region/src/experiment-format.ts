import type { ExperimentRun, SupportRegionExperiment } from "./experiment.js";

function f(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined ? "–" : v.toFixed(digits);
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : (100 * v).toFixed(2);
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = head.map((_, i) => (i === 0 ? ":--" : "--:"));
  return [`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n") + "\n";
}

function xCell(r: ExperimentRun): string {
  if (r.xMaxSigma !== null) return r.xMaxSigma.toFixed(3);
  if (r.xMaxSigmaMin !== null && r.xMaxSigmaMax !== null) return `${r.xMaxSigmaMin.toFixed(2)}–${r.xMaxSigmaMax.toFixed(2)}`;
  return "–";
}

function spread(vals: readonly (number | null)[]): number | null {
  const v = vals.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) - Math.min(...v) : null;
}

function best(runs: readonly ExperimentRun[], key: "sqnrMeasuredDb" | "accuracy"): string {
  let b: ExperimentRun | null = null;
  for (const r of runs) if (r[key] !== null && (b === null || r[key]! > b[key]!)) b = r;
  return b?.support ?? "–";
}

/**
 * The experiment as Markdown: one table per bit rate (every support × scope, then the rtn
 * baseline), a computed summary of how far the support choice moves SQNR and accuracy, measured
 * SQNR per tensor layer-wise next to global, and how `mse` compares with the other choices.
 */
export function formatSupportRegionExperiment(e: SupportRegionExperiment): string {
  const out: string[] = [];
  out.push(`# Support-region experiment: ${e.model}\n`);
  out.push(`Seed ${e.seed}; ${e.testSamples ?? "–"} test samples; float accuracy ${pct(e.floatAccuracy)} %. Quantized (biases stay float32): ${e.tensors.map((t) => `${t.name} (${t.count})`).join(", ")}. ` +
    "SQNR theory = exact Laplacian D_g + D_o at each tensor's measured σ and μ; measured = 10·log10(Σw²/Σ(w − ŵ)²) over the decoded weights; bits/weight = fixed-width codes plus the stored σ, μ, x_max and headers.\n");
  for (const b of e.bits) {
    const runs = e.runs.filter((r) => r.bits === b);
    out.push(`## ${b} bits\n`);
    out.push(table(
      ["support", "scope", "x_max/σ", "SQNR theory (dB)", "SQNR measured (dB)", "accuracy (%)", "agreement (%)", "bits/weight"],
      runs.map((r) => [r.support ?? `${r.quantizer} (min/max)`, r.scope ?? "–", xCell(r), f(r.sqnrTheoryDb), f(r.sqnrMeasuredDb), pct(r.accuracy), pct(r.agreement), f(r.bitsPerWeight, 3)]),
    ));
    const lines: string[] = [];
    for (const s of e.scopes) {
      const rs = runs.filter((r) => r.scope === s);
      lines.push(`- ${s}: measured SQNR spans ${f(spread(rs.map((r) => r.sqnrMeasuredDb)))} dB and accuracy ${pct(spread(rs.map((r) => r.accuracy)))} points across the support choices; best SQNR: ${best(rs, "sqnrMeasuredDb")}, best accuracy: ${best(rs, "accuracy")}.`);
    }
    out.push(lines.join("\n") + "\n");
  }
  if (e.layerVsGlobal.length > 0) {
    out.push("## Layer-wise vs global: measured SQNR per tensor (dB, layer / global / difference)\n");
    const names = e.tensors.map((t) => t.name);
    const keys = [...new Set(e.layerVsGlobal.map((r) => `${r.bits}\u0000${r.support}`))];
    out.push(table(["bits", "support", ...names], keys.map((k) => {
      const [b, s] = k.split("\u0000") as [string, string];
      return [b, s, ...names.map((n) => {
        const r = e.layerVsGlobal.find((x) => String(x.bits) === b && x.support === s && x.tensor === n);
        return r ? `${f(r.layerDb)} / ${f(r.globalDb)} / ${r.diffDb !== null && r.diffDb >= 0 ? "+" : ""}${f(r.diffDb)}` : "–";
      })];
    })));
    const d = e.layerVsGlobal.filter((r) => r.diffDb !== null);
    const wins = d.filter((r) => r.diffDb! > 0).length;
    out.push(`Layer-wise is higher in ${wins} of ${d.length} tensor × bits × support cases.\n`);
  }
  if (e.mseWins.length > 0) {
    out.push("## `mse` against the other choices (measured SQNR, dB; per tensor in layer scope, all tensors together in global scope)\n");
    out.push(table(
      ["bits", "scope", "tensor", "mse", "optimal", "max", "best other", "mse − optimal", "mse − best other"],
      e.mseWins.map((w) => [String(w.bits), w.scope, w.tensor, f(w.mseDb, 3), f(w.optimalDb, 3), f(w.maxDb, 3), w.bestOther === null ? "–" : `${w.bestOther} (${f(w.bestOtherDb, 3)})`, f(w.gainOverOptimalDb, 3), f(w.gainOverBestOtherDb, 3)]),
    ));
    const g = e.mseWins.filter((w) => w.gainOverOptimalDb !== null).map((w) => w.gainOverOptimalDb!);
    const o = e.mseWins.filter((w) => w.gainOverBestOtherDb !== null).map((w) => w.gainOverBestOtherDb!);
    const won = g.filter((x) => x > 0.005);
    const wonAll = o.filter((x) => x > 0.005);
    out.push(`\`mse\` beats \`optimal\` by more than 0.005 dB in ${won.length} of ${g.length} cases` +
      (won.length ? ` (mean gain ${(won.reduce((a, b) => a + b, 0) / won.length).toFixed(3)} dB, largest ${Math.max(...won).toFixed(3)} dB)` : "") +
      `; it beats every other choice run here by more than 0.005 dB in ${wonAll.length} of ${o.length} cases` +
      (o.length ? ` (worst case ${Math.min(...o).toFixed(3)} dB)` : "") + ".\n");
  }
  return out.join("\n");
}
