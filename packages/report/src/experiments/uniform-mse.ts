/**
 * The uniform-mse experiment's (paper 000) result types and its Markdown renderer. The
 * experiment itself is `experiments/uniform-mse`; the CLI renders what it returns.
 */
import type { DesignKind } from "@quantforge/theory-laplacian";

/** Scaling mode of the experiment rows. */
export type UniformMseExperimentMode = "matched" | "mismatched";

/** Theory, measurement and overload accounting of one tensor at one (mode, R). */
export interface UniformMseTensorRow {
  readonly tensor: string;
  readonly count: number;
  /** 20·log10 of the tensor's RMS (vs the σ = 1 design). */
  readonly sigmaDb: number | null;
  /** max |w| / RMS. */
  readonly maxAbsOverSigma: number | null;
  /** x_max·σ_stored / RMS: the support in units of the tensor's σ (x_max in matched mode). */
  readonly supportOverSigma: number | null;
  readonly overloadCount: number;
  readonly overloadShare: number | null;
  readonly sqnrTheoryDb: number | null;
  readonly sqnrGranularDb: number | null;
  readonly sqnrMeasuredDb: number | null;
  readonly sqnrMeasuredGranularDb: number | null;
  readonly sqnrCheck: UniformMseSqnrCheck;
}

/**
 * How measured SQNR relates to theory: `within-1dB` of the full theory (D_g + D_o);
 * `overload-accounted` — off by more, but with the counted overload error removed from the
 * measurement and D_o from the theory they agree within 1 dB (no overload hit: measured is
 * above theory; heavy tails: below); `unexplained` otherwise; `n/a` when a value is null.
 */
export type UniformMseSqnrCheck = "within-1dB" | "overload-accounted" | "unexplained" | "n/a";

/** One (mode, R) row of the experiment: all quantized tensors pooled, plus model metrics. */
export interface UniformMseExperimentRow {
  readonly mode: UniformMseExperimentMode;
  readonly bits: number;
  readonly sigmaDb: number | null;
  readonly sqnrTheoryDb: number | null;
  readonly sqnrMeasuredDb: number | null;
  readonly sqnrGranularDb: number | null;
  readonly sqnrMeasuredGranularDb: number | null;
  readonly overloadCount: number;
  readonly overloadShare: number | null;
  readonly maxAbsOverSigma: number | null;
  readonly sqnrCheck: UniformMseSqnrCheck;
  /** Bits per quantized weight from the coder's bytes (null without a coder). */
  readonly bitsPerWeight: number | null;
  readonly floatAccuracy: number | null;
  readonly accuracy: number | null;
  /** (float − quantized) accuracy in percentage points. */
  readonly accuracyDropPoints: number | null;
  readonly agreement: number | null;
  readonly klDivergence: number | null;
  readonly tensors: readonly UniformMseTensorRow[];
}

/** What the bit-rate rule picks for one target, and what that R did in mismatched mode. */
export interface UniformMseBitRuleRow {
  readonly targetSqnrDb: number;
  /** σ_w of all quantized weights pooled, in dB vs the design. */
  readonly sigmaDb: number;
  readonly reachable: boolean;
  /** Smallest R reaching the target with the pooled σ_w (or the best R when unreachable). */
  readonly bits: number;
  /** Exact theoretical SQNR at that R and σ_w. */
  readonly theorySqnrDb: number;
  /** The rule applied to every tensor's own σ: the largest pick (null if some tensor cannot reach it). */
  readonly perTensorBits: number | null;
  /** Measured mismatched SQNR at `bits`, when that R was run. */
  readonly measuredSqnrDb: number | null;
  /** Accuracy (fraction) of the mismatched network at `bits`, when run. */
  readonly accuracy: number | null;
  /** Measured ≥ target (null when not run). */
  readonly achieved: boolean | null;
}

/** The experiment's acceptance checks (issue 4). */
export interface UniformMseAcceptance {
  /** Matched mode, every R ≥ 9 run: accuracy within 0.1 points of float (null without accuracy). */
  readonly matchedAccuracyWithin01: boolean | null;
  /** Largest matched-mode accuracy drop over R ≥ 9, in points. */
  readonly maxMatchedDropPoints: number | null;
  /** Matched mode: every row and tensor is `within-1dB` or `overload-accounted`. */
  readonly matchedSqnrExplained: boolean;
  /** Human-readable failures (empty when all checks pass). */
  readonly failures: readonly string[];
}

/** Everything the experiment measured. */
export interface UniformMseExperiment {
  readonly model: string;
  readonly design: DesignKind;
  readonly seed: number;
  readonly quantized: readonly { readonly name: string; readonly shape: readonly number[]; readonly count: number; readonly sigmaDb: number | null }[];
  /** σ_w of all quantized weights pooled (RMS), in dB vs the σ = 1 design. */
  readonly sigmaDb: number | null;
  readonly floatAccuracy: number | null;
  readonly rows: readonly UniformMseExperimentRow[];
  readonly bitRule: readonly UniformMseBitRuleRow[];
  readonly acceptance: UniformMseAcceptance;
}

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : v.toFixed(d));

const pct = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : (100 * v).toFixed(d));

const share = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : v === 0 ? "0" : v < 1e-3 ? v.toExponential(1) : v.toFixed(3));

/** The experiment as Markdown: the R × mode table, the bit-rate rule, overload per tensor, acceptance. */
export function formatUniformMseExperiment(e: UniformMseExperiment): string {
  const out: string[] = [];
  const n = e.quantized.reduce((a, t) => a + t.count, 0);
  out.push(`# uniform-mse on ${e.model} (${e.design} x_max, seed ${e.seed})`, "");
  out.push(`Quantized: ${e.quantized.length} weight tensor(s), ${n} weights (biases stay float32); pooled σ_w = ${f(e.sigmaDb)} dB vs the σ = 1 design. Float accuracy: ${pct(e.floatAccuracy)} %.`, "");
  out.push(
    "SQNR columns in dB. *Theory*: exact Laplacian D_g + D_o at the tensors' actual σ (matched: the design SQNR; mismatched: paper 000's variance-mismatch formula), pooled over tensors. *Granular*: D_g only. *Measured w/o overload*: the measured error without the weights beyond ±x_max.",
    "",
  );
  out.push("| mode | R | σ_w (dB) | theory | measured | granular theory | measured w/o overload | overload n | overload share | max\\|w\\|/σ | bits/weight | accuracy (%) | drop (points) | agreement (%) | check |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of e.rows) {
    out.push(
      `| ${r.mode} | ${r.bits} | ${f(r.sigmaDb)} | ${f(r.sqnrTheoryDb)} | ${f(r.sqnrMeasuredDb)} | ${f(r.sqnrGranularDb)} | ${f(r.sqnrMeasuredGranularDb)} | ${r.overloadCount} | ${share(r.overloadShare)} | ${f(r.maxAbsOverSigma, 1)} | ${f(r.bitsPerWeight, 3)} | ${pct(r.accuracy)} | ${f(r.accuracyDropPoints, 2)} | ${pct(r.agreement)} | ${r.sqnrCheck} |`,
    );
  }
  out.push("");
  if (e.bitRule.length > 0) {
    out.push("## Bit-rate rule (smallest R whose exact mismatched SQNR at σ_w reaches the target)", "");
    out.push("| target (dB) | σ_w (dB) | rule's R | theory at R (dB) | per-tensor rule R | measured at R, mismatched (dB) | accuracy at R (%) | achieved |");
    out.push("|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const b of e.bitRule) {
      out.push(
        `| ${b.targetSqnrDb} | ${f(b.sigmaDb)} | ${b.reachable ? b.bits : `unreachable (best ${b.bits})`} | ${f(b.theorySqnrDb)} | ${b.perTensorBits ?? "unreachable"} | ${f(b.measuredSqnrDb)} | ${pct(b.accuracy)} | ${b.achieved === null ? "not run" : b.achieved ? "yes" : "no"} |`,
      );
    }
    out.push("");
  }
  out.push("## Overload accounting per tensor", "");
  out.push("| mode | R | tensor | σ (dB) | max\\|w\\|/σ | x_max/σ | overload n | overload share | theory | granular theory | measured | measured w/o overload | check |");
  out.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of e.rows) {
    for (const t of r.tensors) {
      out.push(
        `| ${r.mode} | ${r.bits} | ${t.tensor} | ${f(t.sigmaDb)} | ${f(t.maxAbsOverSigma, 1)} | ${f(t.supportOverSigma, 1)} | ${t.overloadCount} | ${share(t.overloadShare)} | ${f(t.sqnrTheoryDb)} | ${f(t.sqnrGranularDb)} | ${f(t.sqnrMeasuredDb)} | ${f(t.sqnrMeasuredGranularDb)} | ${t.sqnrCheck} |`,
      );
    }
  }
  out.push("", "## Acceptance", "");
  const a = e.acceptance;
  out.push(
    `- matched mode, R ≥ 9: accuracy within 0.1 points of float — ${a.matchedAccuracyWithin01 === null ? "not measured" : a.matchedAccuracyWithin01 ? "yes" : "no"}${a.maxMatchedDropPoints === null ? "" : ` (largest |drop| ${a.maxMatchedDropPoints.toFixed(3)} points)`}`,
  );
  out.push(`- matched mode: measured SQNR within 1 dB of theory or the gap accounted for by the counted overload error — ${a.matchedSqnrExplained ? "yes" : "no"}`);
  for (const x of a.failures) out.push(`  - ${x}`);
  return `${out.join("\n")}\n`;
}
