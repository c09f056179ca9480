import {
  codebookMap, codedGroups, defaultSelector, InvalidOptionsError, runPipeline,
  type Coder, type CoderPlugin, type Evaluator, type EvaluatorPlugin, type GridCodebook, type Metric, type ModelProbe, type WeightTensor,
} from "@quantforge/core";
import {
  combineGridTheoryStats, gridTheoryStats, recommendBits, summarizeGridTheory,
  type DesignKind, type GridTheoryStats,
} from "@quantforge/theory-laplacian";
import { uniformMseQuantizer } from "./uniform-mse-quantizer.js";

/** Scaling mode of the experiment rows. */
export type ExperimentMode = "matched" | "mismatched";

/** Options of {@link runUniformMseExperiment}. */
export interface UniformMseExperimentOptions {
  /** Bit rates (default R = 9…16, paper 000's range). */
  readonly bits?: readonly number[];
  /** Modes (default both, matched first). */
  readonly modes?: readonly ExperimentMode[];
  /** Support-region design (default "optimal"). */
  readonly design?: DesignKind;
  /** Target SQNRs (dB) for the bit-rate rule (default 20, 30, 40). */
  readonly targetsDb?: readonly number[];
  /**
   * Model-level evaluators whose `floatAccuracy`, `accuracy`, `agreement` and `klDivergence`
   * metrics (fractions / nats) fill the accuracy columns, e.g. `accuracyEvaluator()`.
   */
  readonly modelEvaluators?: readonly (Evaluator | EvaluatorPlugin)[];
  /** A coder, to report real bits per weight (container bytes of the quantized tensors incl. codebooks). */
  readonly coder?: Coder | CoderPlugin;
  /** Seed of every run (default 0). */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called after each (mode, R) run. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Theory, measurement and overload accounting of one tensor at one (mode, R). */
export interface ExperimentTensorRow {
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
  readonly sqnrCheck: SqnrCheck;
}

/**
 * How measured SQNR relates to theory: `within-1dB` of the full theory (D_g + D_o);
 * `overload-accounted` — off by more, but with the counted overload error removed from the
 * measurement and D_o from the theory they agree within 1 dB (no overload hit: measured is
 * above theory; heavy tails: below); `unexplained` otherwise; `n/a` when a value is null.
 */
export type SqnrCheck = "within-1dB" | "overload-accounted" | "unexplained" | "n/a";

/** One (mode, R) row of the experiment: all quantized tensors pooled, plus model metrics. */
export interface ExperimentRow {
  readonly mode: ExperimentMode;
  readonly bits: number;
  readonly sigmaDb: number | null;
  readonly sqnrTheoryDb: number | null;
  readonly sqnrMeasuredDb: number | null;
  readonly sqnrGranularDb: number | null;
  readonly sqnrMeasuredGranularDb: number | null;
  readonly overloadCount: number;
  readonly overloadShare: number | null;
  readonly maxAbsOverSigma: number | null;
  readonly sqnrCheck: SqnrCheck;
  /** Bits per quantized weight from the coder's bytes (null without a coder). */
  readonly bitsPerWeight: number | null;
  readonly floatAccuracy: number | null;
  readonly accuracy: number | null;
  /** (float − quantized) accuracy in percentage points. */
  readonly accuracyDropPoints: number | null;
  readonly agreement: number | null;
  readonly klDivergence: number | null;
  readonly tensors: readonly ExperimentTensorRow[];
}

/** What the bit-rate rule picks for one target, and what that R did in mismatched mode. */
export interface BitRuleRow {
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
export interface ExperimentAcceptance {
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
  readonly rows: readonly ExperimentRow[];
  readonly bitRule: readonly BitRuleRow[];
  readonly acceptance: ExperimentAcceptance;
}

const db = (x: number): number | null => (x > 0 ? 20 * Math.log10(x) : null);

function rmsOf(ts: readonly WeightTensor[]): number {
  let s = 0, n = 0;
  for (const t of ts) {
    for (let i = 0; i < t.data.length; i++) s += t.data[i]! * t.data[i]!;
    n += t.data.length;
  }
  return n === 0 ? 0 : Math.sqrt(s / n);
}

/** Classifies measured vs theory (see {@link SqnrCheck}). */
export function sqnrCheck(theory: number | null, measured: number | null, granularTheory: number | null, measuredGranular: number | null): SqnrCheck {
  if (theory === null || measured === null) return "n/a";
  if (Math.abs(measured - theory) <= 1) return "within-1dB";
  if (granularTheory !== null && measuredGranular !== null && Math.abs(measuredGranular - granularTheory) <= 1) return "overload-accounted";
  return "unexplained";
}

function tensorRow(name: string, t: WeightTensor, s: GridTheoryStats): ExperimentTensorRow {
  const sum = summarizeGridTheory(s);
  const v = {
    sqnrTheoryDb: sum.sqnrTheoryDb.value, sqnrGranularDb: sum.sqnrGranularDb.value,
    sqnrMeasuredDb: sum.sqnrMeasuredDb.value, sqnrMeasuredGranularDb: sum.sqnrMeasuredGranularDb.value,
  };
  return {
    tensor: name, count: t.data.length, sigmaDb: db(rmsOf([t])),
    maxAbsOverSigma: s.maxAbsOverSigma, supportOverSigma: s.supportOverSigma,
    overloadCount: s.overloadCount, overloadShare: sum.overloadShare.value,
    ...v,
    sqnrCheck: sqnrCheck(v.sqnrTheoryDb, v.sqnrMeasuredDb, v.sqnrGranularDb, v.sqnrMeasuredGranularDb),
  };
}

/**
 * (float − quantized) accuracy in percentage points. Accuracies are k/n fractions: with the
 * sample count n known the drop is formed from the integer counts, so 2 of 2000 samples is
 * exactly 0.1 points (not 0.10000000000000009, which a fixed 0.1-point limit would reject).
 */
export function accuracyDropPoints(fa: number | null, acc: number | null, n: number | null): number | null {
  if (fa === null || acc === null) return null;
  if (n !== null && Number.isInteger(n) && n > 0) return (100 * (Math.round(fa * n) - Math.round(acc * n))) / n;
  return 100 * (fa - acc);
}

const metricValue = (ms: readonly Metric[], name: string): number | null => ms.find((m) => m.name === name && m.tensor === undefined)?.value ?? null;

/**
 * Paper 000's experiment (uniform-laplacian.md §6): quantizes the model's weight tensors (biases
 * stay float32) with uniform-mse at every R in both modes and reports, per (mode, R): σ_w (dB),
 * the Laplacian theoretical SQNR at the actual σ, the measured SQNR, the granular-only theory,
 * the measurement without the overload error, overload counts and shares (per tensor too),
 * accuracy and agreement with the float network; plus the bit-rate rule's pick per target SQNR.
 * Deterministic for a given probe, options and seed.
 *
 * @throws {InvalidOptionsError} for bad bit rates, modes or targets, or a model without weight tensors.
 * @throws {MissingCapabilityError} when model evaluators need capabilities the probe lacks.
 */
export async function runUniformMseExperiment(probe: ModelProbe, opts: UniformMseExperimentOptions = {}): Promise<UniformMseExperiment> {
  const bits = opts.bits ?? [9, 10, 11, 12, 13, 14, 15, 16];
  const modes = opts.modes ?? ["matched", "mismatched"];
  const design = opts.design ?? "optimal";
  const targets = opts.targetsDb ?? [20, 30, 40];
  const seed = opts.seed ?? 0;
  const fail = (field: string, why: string): never => {
    throw new InvalidOptionsError("experiment uniform-mse", field, why);
  };
  if (bits.length === 0 || bits.some((b) => !Number.isInteger(b) || b < 1 || b > 16)) fail("bits", "must be a non-empty list of integers in 1…16");
  if (modes.length === 0 || modes.some((m) => m !== "matched" && m !== "mismatched")) fail("modes", 'must list "matched" and/or "mismatched"');
  if (targets.some((t) => !Number.isFinite(t))) fail("targetsDb", "must be finite numbers of dB");
  if (!probe.weights.some(defaultSelector)) fail("model", `"${probe.id}" has no weight tensors to quantize`);
  const plugin = uniformMseQuantizer();
  const rows: ExperimentRow[] = [];
  const total = bits.length * modes.length;
  let selected: readonly WeightTensor[] = [];
  let floatAccuracy: number | null = null;
  for (const mode of modes) {
    for (const R of bits) {
      const r = await runPipeline({
        model: probe,
        quantizer: { plugin, options: { bits: R, mode, design } },
        ...(opts.coder ? { coder: opts.coder } : {}),
        evaluators: opts.modelEvaluators ?? [],
        options: { seed, signal: opts.signal },
      });
      const cbs = codebookMap(r.quantized);
      const decoded = new Map(r.decoded.map((t) => [t.name, t]));
      const original = new Map(r.original.map((t) => [t.name, t]));
      selected = r.quantized.tensors.map((q) => original.get(q.name)!);
      const stats: GridTheoryStats[] = [];
      const tensors: ExperimentTensorRow[] = [];
      for (const q of r.quantized.tensors) {
        const t = original.get(q.name)!;
        const s = gridTheoryStats({
          original: t.data, decoded: decoded.get(q.name)!.data, codebook: cbs.get(q.codebook) as GridCodebook,
          groups: codedGroups(q), positions: q.sparse?.positions,
        });
        stats.push(s);
        tensors.push(tensorRow(q.name, t, s));
      }
      const all = combineGridTheoryStats(stats);
      const sum = summarizeGridTheory(all);
      const fa = metricValue(r.metrics, "floatAccuracy"), acc = metricValue(r.metrics, "accuracy");
      floatAccuracy = fa ?? floatAccuracy;
      let bpw: number | null = null;
      if (r.encoded) {
        let bytes = 0, count = 0;
        for (const t of r.encoded.size.tensors) {
          if (!r.quantizedNames.has(t.name)) continue;
          bytes += t.bytes;
          count += t.count;
        }
        bpw = count > 0 ? (8 * bytes) / count : null;
      }
      const v = {
        sqnrTheoryDb: sum.sqnrTheoryDb.value, sqnrMeasuredDb: sum.sqnrMeasuredDb.value,
        sqnrGranularDb: sum.sqnrGranularDb.value, sqnrMeasuredGranularDb: sum.sqnrMeasuredGranularDb.value,
      };
      rows.push({
        mode, bits: R, sigmaDb: db(rmsOf(selected)), ...v,
        overloadCount: all.overloadCount, overloadShare: sum.overloadShare.value, maxAbsOverSigma: all.maxAbsOverSigma,
        sqnrCheck: sqnrCheck(v.sqnrTheoryDb, v.sqnrMeasuredDb, v.sqnrGranularDb, v.sqnrMeasuredGranularDb),
        bitsPerWeight: bpw,
        floatAccuracy: fa, accuracy: acc,
        accuracyDropPoints: accuracyDropPoints(fa, acc, metricValue(r.metrics, "testSamples")),
        agreement: metricValue(r.metrics, "agreement"), klDivergence: metricValue(r.metrics, "klDivergence"),
        tensors,
      });
      opts.onProgress?.(rows.length, total);
    }
  }
  const sigmaW = rmsOf(selected);
  const bitRule: BitRuleRow[] = sigmaW > 0 ? targets.map((target) => {
    const rec = recommendBits({ sigma: sigmaW, targetSqnrDb: target, design });
    let perTensor: number | null = 0;
    for (const t of selected) {
      const s = rmsOf([t]);
      if (s === 0) continue;
      const p = recommendBits({ sigma: s, targetSqnrDb: target, design });
      perTensor = !p.reachable || perTensor === null ? null : Math.max(perTensor, p.bits);
    }
    const run = rows.find((x) => x.mode === "mismatched" && x.bits === rec.bits);
    return {
      targetSqnrDb: target, sigmaDb: 20 * Math.log10(sigmaW), reachable: rec.reachable, bits: rec.bits, theorySqnrDb: rec.sqnrDb,
      perTensorBits: perTensor, measuredSqnrDb: run?.sqnrMeasuredDb ?? null, accuracy: run?.accuracy ?? null,
      achieved: run === undefined || run.sqnrMeasuredDb === null ? null : run.sqnrMeasuredDb >= target,
    };
  }) : [];
  return {
    model: probe.id, design, seed,
    quantized: selected.map((t) => ({ name: t.name, shape: [...t.shape], count: t.data.length, sigmaDb: db(rmsOf([t])) })),
    sigmaDb: db(sigmaW), floatAccuracy, rows, bitRule,
    acceptance: acceptanceOf(rows),
  };
}

function acceptanceOf(rows: readonly ExperimentRow[]): ExperimentAcceptance {
  const failures: string[] = [];
  const matched = rows.filter((r) => r.mode === "matched");
  const high = matched.filter((r) => r.bits >= 9);
  let maxDrop: number | null = null, accOk: boolean | null = null;
  if (high.length > 0 && high.every((r) => r.accuracyDropPoints !== null)) {
    maxDrop = Math.max(...high.map((r) => Math.abs(r.accuracyDropPoints!)));
    accOk = maxDrop <= 0.1;
    for (const r of high) if (Math.abs(r.accuracyDropPoints!) > 0.1) failures.push(`matched R = ${r.bits}: accuracy differs from float by ${r.accuracyDropPoints!.toFixed(3)} points (> 0.1)`);
  }
  let sqnrOk = true;
  for (const r of matched) {
    if (r.sqnrCheck === "unexplained") {
      sqnrOk = false;
      failures.push(`matched R = ${r.bits}: measured SQNR ${r.sqnrMeasuredDb?.toFixed(2)} dB vs theory ${r.sqnrTheoryDb?.toFixed(2)} dB is not explained by the overload error`);
    }
    for (const t of r.tensors) {
      if (t.sqnrCheck === "unexplained") {
        sqnrOk = false;
        failures.push(`matched R = ${r.bits}, ${t.tensor}: measured ${t.sqnrMeasuredDb?.toFixed(2)} dB vs theory ${t.sqnrTheoryDb?.toFixed(2)} dB is not explained by the overload error`);
      }
    }
  }
  return { matchedAccuracyWithin01: accOk, maxMatchedDropPoints: maxDrop, matchedSqnrExplained: sqnrOk, failures };
}

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : v.toFixed(d));
const pct = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : (100 * v).toFixed(d));
const share = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : v === 0 ? "0" : v < 1e-3 ? v.toExponential(1) : v.toFixed(3));

/** The experiment as Markdown: the R × mode table, the bit-rate rule, overload per tensor, acceptance. */
export function formatExperimentMarkdown(e: UniformMseExperiment): string {
  const out: string[] = [];
  const n = e.quantized.reduce((a, t) => a + t.count, 0);
  out.push(`# uniform-mse on ${e.model} (${e.design} x_max, seed ${e.seed})`, "");
  out.push(`Quantized: ${e.quantized.length} weight tensor(s), ${n} weights (biases stay float32); pooled σ_w = ${f(e.sigmaDb)} dB vs the σ = 1 design. Float accuracy: ${pct(e.floatAccuracy)} %.`, "");
  out.push("SQNR columns in dB. *Theory*: exact Laplacian D_g + D_o at the tensors' actual σ (matched: the design SQNR; mismatched: paper 000's variance-mismatch formula), pooled over tensors. *Granular*: D_g only. *Measured w/o overload*: the measured error without the weights beyond ±x_max.", "");
  out.push("| mode | R | σ_w (dB) | theory | measured | granular theory | measured w/o overload | overload n | overload share | max\\|w\\|/σ | bits/weight | accuracy (%) | drop (points) | agreement (%) | check |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of e.rows) {
    out.push(`| ${r.mode} | ${r.bits} | ${f(r.sigmaDb)} | ${f(r.sqnrTheoryDb)} | ${f(r.sqnrMeasuredDb)} | ${f(r.sqnrGranularDb)} | ${f(r.sqnrMeasuredGranularDb)} | ${r.overloadCount} | ${share(r.overloadShare)} | ${f(r.maxAbsOverSigma, 1)} | ${f(r.bitsPerWeight, 3)} | ${pct(r.accuracy)} | ${f(r.accuracyDropPoints, 2)} | ${pct(r.agreement)} | ${r.sqnrCheck} |`);
  }
  out.push("");
  if (e.bitRule.length > 0) {
    out.push("## Bit-rate rule (smallest R whose exact mismatched SQNR at σ_w reaches the target)", "");
    out.push("| target (dB) | σ_w (dB) | rule's R | theory at R (dB) | per-tensor rule R | measured at R, mismatched (dB) | accuracy at R (%) | achieved |");
    out.push("|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const b of e.bitRule) {
      out.push(`| ${b.targetSqnrDb} | ${f(b.sigmaDb)} | ${b.reachable ? b.bits : `unreachable (best ${b.bits})`} | ${f(b.theorySqnrDb)} | ${b.perTensorBits ?? "unreachable"} | ${f(b.measuredSqnrDb)} | ${pct(b.accuracy)} | ${b.achieved === null ? "not run" : b.achieved ? "yes" : "no"} |`);
    }
    out.push("");
  }
  out.push("## Overload accounting per tensor", "");
  out.push("| mode | R | tensor | σ (dB) | max\\|w\\|/σ | x_max/σ | overload n | overload share | theory | granular theory | measured | measured w/o overload | check |");
  out.push("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const r of e.rows) {
    for (const t of r.tensors) {
      out.push(`| ${r.mode} | ${r.bits} | ${t.tensor} | ${f(t.sigmaDb)} | ${f(t.maxAbsOverSigma, 1)} | ${f(t.supportOverSigma, 1)} | ${t.overloadCount} | ${share(t.overloadShare)} | ${f(t.sqnrTheoryDb)} | ${f(t.sqnrGranularDb)} | ${f(t.sqnrMeasuredDb)} | ${f(t.sqnrMeasuredGranularDb)} | ${t.sqnrCheck} |`);
    }
  }
  out.push("", "## Acceptance", "");
  const a = e.acceptance;
  out.push(`- matched mode, R ≥ 9: accuracy within 0.1 points of float — ${a.matchedAccuracyWithin01 === null ? "not measured" : a.matchedAccuracyWithin01 ? "yes" : "no"}${a.maxMatchedDropPoints === null ? "" : ` (largest |drop| ${a.maxMatchedDropPoints.toFixed(3)} points)`}`);
  out.push(`- matched mode: measured SQNR within 1 dB of theory or the gap accounted for by the counted overload error — ${a.matchedSqnrExplained ? "yes" : "no"}`);
  for (const x of a.failures) out.push(`  - ${x}`);
  return `${out.join("\n")}\n`;
}
