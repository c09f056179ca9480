import { codebookMap, codedGroups, InvalidOptionsError, type Coder, type CoderPlugin, type Evaluator, type EvaluatorPlugin, type GridCodebook, type Metric, type ModelProbe, type WeightTensor } from "@quantforge/core";
import { defaultSelector, runPipeline } from "@quantforge/core/host";
import { combineGridTheoryStats, gridTheoryStats, recommendBits, summarizeGridTheory, type DesignKind, type GridTheoryStats } from "@quantforge/theory-laplacian";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import type {
  UniformMseAcceptance as ExperimentAcceptance,
  UniformMseBitRuleRow as BitRuleRow,
  UniformMseExperiment,
  UniformMseExperimentMode as ExperimentMode,
  UniformMseExperimentRow as ExperimentRow,
  UniformMseSqnrCheck as SqnrCheck,
  UniformMseTensorRow as ExperimentTensorRow,
} from "@quantforge/report";

export type { ExperimentAcceptance, BitRuleRow, UniformMseExperiment, ExperimentMode, ExperimentRow, SqnrCheck, ExperimentTensorRow };

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

const db = (x: number): number | null => (x > 0 ? 20 * Math.log10(x) : null);

function rmsOf(ts: readonly WeightTensor[]): number {
  let s = 0,
    n = 0;
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
    sqnrTheoryDb: sum.sqnrTheoryDb.value,
    sqnrGranularDb: sum.sqnrGranularDb.value,
    sqnrMeasuredDb: sum.sqnrMeasuredDb.value,
    sqnrMeasuredGranularDb: sum.sqnrMeasuredGranularDb.value,
  };
  return {
    tensor: name,
    count: t.data.length,
    sigmaDb: db(rmsOf([t])),
    maxAbsOverSigma: s.maxAbsOverSigma,
    supportOverSigma: s.supportOverSigma,
    overloadCount: s.overloadCount,
    overloadShare: sum.overloadShare.value,
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
          original: t.data,
          decoded: decoded.get(q.name)!.data,
          codebook: cbs.get(q.codebook) as GridCodebook,
          groups: codedGroups(q),
          positions: q.sparse?.positions,
        });
        stats.push(s);
        tensors.push(tensorRow(q.name, t, s));
      }
      const all = combineGridTheoryStats(stats);
      const sum = summarizeGridTheory(all);
      const fa = metricValue(r.metrics, "floatAccuracy"),
        acc = metricValue(r.metrics, "accuracy");
      floatAccuracy = fa ?? floatAccuracy;
      let bpw: number | null = null;
      if (r.encoded) {
        let bytes = 0,
          count = 0;
        for (const t of r.encoded.size.tensors) {
          if (!r.quantizedNames.has(t.name)) continue;
          bytes += t.bytes;
          count += t.count;
        }
        bpw = count > 0 ? (8 * bytes) / count : null;
      }
      const v = {
        sqnrTheoryDb: sum.sqnrTheoryDb.value,
        sqnrMeasuredDb: sum.sqnrMeasuredDb.value,
        sqnrGranularDb: sum.sqnrGranularDb.value,
        sqnrMeasuredGranularDb: sum.sqnrMeasuredGranularDb.value,
      };
      rows.push({
        mode,
        bits: R,
        sigmaDb: db(rmsOf(selected)),
        ...v,
        overloadCount: all.overloadCount,
        overloadShare: sum.overloadShare.value,
        maxAbsOverSigma: all.maxAbsOverSigma,
        sqnrCheck: sqnrCheck(v.sqnrTheoryDb, v.sqnrMeasuredDb, v.sqnrGranularDb, v.sqnrMeasuredGranularDb),
        bitsPerWeight: bpw,
        floatAccuracy: fa,
        accuracy: acc,
        accuracyDropPoints: accuracyDropPoints(fa, acc, metricValue(r.metrics, "testSamples")),
        agreement: metricValue(r.metrics, "agreement"),
        klDivergence: metricValue(r.metrics, "klDivergence"),
        tensors,
      });
      opts.onProgress?.(rows.length, total);
    }
  }
  const sigmaW = rmsOf(selected);
  const bitRule: BitRuleRow[] =
    sigmaW > 0
      ? targets.map((target) => {
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
            targetSqnrDb: target,
            sigmaDb: 20 * Math.log10(sigmaW),
            reachable: rec.reachable,
            bits: rec.bits,
            theorySqnrDb: rec.sqnrDb,
            perTensorBits: perTensor,
            measuredSqnrDb: run?.sqnrMeasuredDb ?? null,
            accuracy: run?.accuracy ?? null,
            achieved: run === undefined || run.sqnrMeasuredDb === null ? null : run.sqnrMeasuredDb >= target,
          };
        })
      : [];
  return {
    model: probe.id,
    design,
    seed,
    quantized: selected.map((t) => ({ name: t.name, shape: [...t.shape], count: t.data.length, sigmaDb: db(rmsOf([t])) })),
    sigmaDb: db(sigmaW),
    floatAccuracy,
    rows,
    bitRule,
    acceptance: acceptanceOf(rows),
  };
}

function acceptanceOf(rows: readonly ExperimentRow[]): ExperimentAcceptance {
  const failures: string[] = [];
  const matched = rows.filter((r) => r.mode === "matched");
  const high = matched.filter((r) => r.bits >= 9);
  let maxDrop: number | null = null,
    accOk: boolean | null = null;
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
