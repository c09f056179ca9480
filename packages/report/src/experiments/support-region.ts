/**
 * The support-region experiment's (seed 001) result types and its Markdown renderer. The
 * experiment itself is `experiments/support-region`; the CLI renders what it returns.
 */

/** Scope of a support-region run: one codebook per tensor, or one for all. */
export type SupportRegionScope = "layer" | "global";

/** Per-tensor numbers of one run. */
export interface SupportRegionTensorRow {
  readonly tensor: string;
  readonly count: number;
  /** Measured 10·log10(Σw²/Σ(w − ŵ)²), null with an exact reconstruction or no signal. */
  readonly sqnrMeasuredDb: number | null;
  /** Laplacian theory at the tensor's own spread about the stored μ (null for rtn). */
  readonly sqnrTheoryDb: number | null;
  /** Stored x_max/σ, μ, σ (null for rtn). */
  readonly xMaxSigma: number | null;
  readonly mu: number | null;
  readonly sigma: number | null;
  /** max|w − μ|/σ with the codebook's μ, σ (null for rtn or σ = 0). */
  readonly maxAbsOverSigma: number | null;
  /** Weights beyond ±x_max (null for rtn). */
  readonly overloadCount: number | null;
  /** How `mse` got its x_max (`search`, `optimal`, `max`); `rule` otherwise; null for rtn. */
  readonly origin: string | null;
}

/** One quantization of the model (one bit rate × support × scope, or a baseline). */
export interface SupportRegionExperimentRun {
  /** `support-region` or the baseline's id (`rtn`). */
  readonly quantizer: string;
  readonly bits: number;
  /** Support choice (null for a baseline). */
  readonly support: string | null;
  /** Scope (null for a baseline). */
  readonly scope: SupportRegionScope | null;
  /** x_max/σ when every tensor shares it, else null (see `xMaxSigmaMin`/`xMaxSigmaMax`). */
  readonly xMaxSigma: number | null;
  readonly xMaxSigmaMin: number | null;
  readonly xMaxSigmaMax: number | null;
  /** Overall theoretical SQNR (Laplacian, at every tensor's measured σ and μ). */
  readonly sqnrTheoryDb: number | null;
  /** Overall measured SQNR over every quantized weight. */
  readonly sqnrMeasuredDb: number | null;
  /** Top-1 accuracy of the decoded network (fraction). */
  readonly accuracy: number | null;
  /** Top-1 agreement with the float network (fraction). */
  readonly agreement: number | null;
  /** Coded bits per quantized weight: fixed-width codes plus the codebooks' share (σ, μ, x_max, headers). */
  readonly bitsPerWeight: number | null;
  readonly tensors: readonly SupportRegionTensorRow[];
}

/**
 * How `mse` compares with the other choices (same bits, same scope): per tensor in layer scope,
 * over all tensors ({@link SUPPORT_REGION_ALL_TENSORS}) in global scope.
 */
export interface SupportRegionMseWinRow {
  readonly bits: number;
  readonly scope: SupportRegionScope;
  /** Tensor name, or {@link SUPPORT_REGION_ALL_TENSORS} for the overall SQNR of a global-scope run. */
  readonly tensor: string;
  readonly mseDb: number;
  readonly optimalDb: number | null;
  readonly maxDb: number | null;
  /** The best other choice run in the experiment and its SQNR. */
  readonly bestOther: string | null;
  readonly bestOtherDb: number | null;
  /** mseDb − optimalDb. */
  readonly gainOverOptimalDb: number | null;
  /** mseDb − bestOtherDb. */
  readonly gainOverBestOtherDb: number | null;
}

/** Measured SQNR of one tensor, layer-wise next to global, for one bits × support. */
export interface SupportRegionLayerVsGlobalRow {
  readonly bits: number;
  readonly support: string;
  readonly tensor: string;
  readonly layerDb: number | null;
  readonly globalDb: number | null;
  /** layerDb − globalDb. */
  readonly diffDb: number | null;
}

/** Everything `runSupportRegionExperiment` (experiments/support-region) measured. */
export interface SupportRegionExperiment {
  readonly model: string;
  readonly seed: number;
  readonly testSamples: number | null;
  readonly floatAccuracy: number | null;
  readonly bits: readonly number[];
  readonly supports: readonly string[];
  readonly scopes: readonly SupportRegionScope[];
  /** Quantized tensors and their weight counts. */
  readonly tensors: readonly { readonly name: string; readonly count: number }[];
  readonly runs: readonly SupportRegionExperimentRun[];
  readonly mseWins: readonly SupportRegionMseWinRow[];
  readonly layerVsGlobal: readonly SupportRegionLayerVsGlobalRow[];
}

/** Label of the whole-model row of {@link SupportRegionMseWinRow} in global scope. */
export const SUPPORT_REGION_ALL_TENSORS = "(all tensors)";

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

function xCell(r: SupportRegionExperimentRun): string {
  if (r.xMaxSigma !== null) return r.xMaxSigma.toFixed(3);
  if (r.xMaxSigmaMin !== null && r.xMaxSigmaMax !== null) return `${r.xMaxSigmaMin.toFixed(2)}–${r.xMaxSigmaMax.toFixed(2)}`;
  return "–";
}

function spread(vals: readonly (number | null)[]): number | null {
  const v = vals.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) - Math.min(...v) : null;
}

function best(runs: readonly SupportRegionExperimentRun[], key: "sqnrMeasuredDb" | "accuracy"): string {
  let b: SupportRegionExperimentRun | null = null;
  for (const r of runs) if (r[key] !== null && (b === null || r[key] > b[key]!)) b = r;
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
  out.push(
    `Seed ${e.seed}; ${e.testSamples ?? "–"} test samples; float accuracy ${pct(e.floatAccuracy)} %. Quantized (biases stay float32): ${e.tensors.map((t) => `${t.name} (${t.count})`).join(", ")}. ` +
      "SQNR theory = exact Laplacian D_g + D_o at each tensor's measured σ and μ; measured = 10·log10(Σw²/Σ(w − ŵ)²) over the decoded weights; bits/weight = fixed-width codes plus the stored σ, μ, x_max and headers.\n",
  );
  for (const b of e.bits) {
    const runs = e.runs.filter((r) => r.bits === b);
    out.push(`## ${b} bits\n`);
    out.push(
      table(
        ["support", "scope", "x_max/σ", "SQNR theory (dB)", "SQNR measured (dB)", "accuracy (%)", "agreement (%)", "bits/weight"],
        runs.map((r) => [r.support ?? `${r.quantizer} (min/max)`, r.scope ?? "–", xCell(r), f(r.sqnrTheoryDb), f(r.sqnrMeasuredDb), pct(r.accuracy), pct(r.agreement), f(r.bitsPerWeight, 3)]),
      ),
    );
    const lines: string[] = [];
    for (const s of e.scopes) {
      const rs = runs.filter((r) => r.scope === s);
      lines.push(
        `- ${s}: measured SQNR spans ${f(spread(rs.map((r) => r.sqnrMeasuredDb)))} dB and accuracy ${pct(spread(rs.map((r) => r.accuracy)))} points across the support choices; best SQNR: ${best(rs, "sqnrMeasuredDb")}, best accuracy: ${best(rs, "accuracy")}.`,
      );
    }
    out.push(lines.join("\n") + "\n");
  }
  if (e.layerVsGlobal.length > 0) {
    out.push("## Layer-wise vs global: measured SQNR per tensor (dB, layer / global / difference)\n");
    const names = e.tensors.map((t) => t.name);
    const keys = [...new Set(e.layerVsGlobal.map((r) => `${r.bits}\u0000${r.support}`))];
    out.push(
      table(
        ["bits", "support", ...names],
        keys.map((k) => {
          const [b, s] = k.split("\u0000") as [string, string];
          return [
            b,
            s,
            ...names.map((n) => {
              const r = e.layerVsGlobal.find((x) => String(x.bits) === b && x.support === s && x.tensor === n);
              return r ? `${f(r.layerDb)} / ${f(r.globalDb)} / ${r.diffDb !== null && r.diffDb >= 0 ? "+" : ""}${f(r.diffDb)}` : "–";
            }),
          ];
        }),
      ),
    );
    const d = e.layerVsGlobal.filter((r) => r.diffDb !== null);
    const wins = d.filter((r) => r.diffDb! > 0).length;
    out.push(`Layer-wise is higher in ${wins} of ${d.length} tensor × bits × support cases.\n`);
  }
  if (e.mseWins.length > 0) {
    out.push("## `mse` against the other choices (measured SQNR, dB; per tensor in layer scope, all tensors together in global scope)\n");
    out.push(
      table(
        ["bits", "scope", "tensor", "mse", "optimal", "max", "best other", "mse − optimal", "mse − best other"],
        e.mseWins.map((w) => [
          String(w.bits),
          w.scope,
          w.tensor,
          f(w.mseDb, 3),
          f(w.optimalDb, 3),
          f(w.maxDb, 3),
          w.bestOther === null ? "–" : `${w.bestOther} (${f(w.bestOtherDb, 3)})`,
          f(w.gainOverOptimalDb, 3),
          f(w.gainOverBestOtherDb, 3),
        ]),
      ),
    );
    const g = e.mseWins.filter((w) => w.gainOverOptimalDb !== null).map((w) => w.gainOverOptimalDb!);
    const o = e.mseWins.filter((w) => w.gainOverBestOtherDb !== null).map((w) => w.gainOverBestOtherDb!);
    const won = g.filter((x) => x > 0.005);
    const wonAll = o.filter((x) => x > 0.005);
    out.push(
      `\`mse\` beats \`optimal\` by more than 0.005 dB in ${won.length} of ${g.length} cases` +
        (won.length ? ` (mean gain ${(won.reduce((a, b) => a + b, 0) / won.length).toFixed(3)} dB, largest ${Math.max(...won).toFixed(3)} dB)` : "") +
        `; it beats every other choice run here by more than 0.005 dB in ${wonAll.length} of ${o.length} cases` +
        (o.length ? ` (worst case ${Math.min(...o).toFixed(3)} dB)` : "") +
        ".\n",
    );
  }
  return out.join("\n");
}
