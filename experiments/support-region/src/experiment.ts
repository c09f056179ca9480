import { codebookMap, codedGroups, InvalidOptionsError, MissingCapabilityError, parseWithSchema, throwIfAborted, type Metric, type ModelProbe, type Quantizer, type QuantizerPlugin, type WeightSet } from "@quantforge/core";
import { runPipeline, type PipelineResult } from "@quantforge/core/host";
import { fixedCoder } from "@quantforge/coder-fixed";
import { accuracyEvaluator } from "@quantforge/evaluator-accuracy";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { accumulateStats, emptyStats, mergeStats, sqnrOfSumsDb } from "@quantforge/metrics";
import { combineGridTheoryStats, gridTheoryStats, summarizeGridTheory, type GridTheoryStats } from "@quantforge/theory-laplacian";
import {
  SUPPORT_REGION_ALL_TENSORS as ALL_TENSORS,
  type SupportRegionExperiment,
  type SupportRegionExperimentRun as ExperimentRun,
  type SupportRegionLayerVsGlobalRow as LayerVsGlobalRow,
  type SupportRegionMseWinRow as MseWinRow,
  type SupportRegionScope,
  type SupportRegionTensorRow as ExperimentTensorRow,
} from "@quantforge/report";
import { formatSupportSpec, parseSupportSpec, supportRegionOptionsSchema, supportRegionQuantize, type SupportRegionTensorDetail } from "@quantforge/quantizer-support-region";

export { ALL_TENSORS };
export type { SupportRegionExperiment, ExperimentRun, ExperimentTensorRow, MseWinRow, LayerVsGlobalRow };

/** Support choices the experiment runs by default (§5: the paper's cases plus `mse`). */
export const DEFAULT_EXPERIMENT_SUPPORTS: readonly string[] = ["optimal", "iterative", "sigma:2", "sigma:3", "sigma:4", "percentile:99", "percentile:99.9", "max", "mse"];

/** Options of {@link runSupportRegionExperiment}. */
export interface SupportRegionExperimentOptions {
  /** Bit rates, each 2–4 (default [2, 3]). */
  readonly bits?: readonly number[];
  /** Support choices (default {@link DEFAULT_EXPERIMENT_SUPPORTS}). */
  readonly supports?: readonly string[];
  /** Scopes in the paper's words (default ["layer", "global"]; `global` is the quantizer's `joint` scope). */
  readonly scopes?: readonly SupportRegionScope[];
  /** Seed of every run (default 1; the quantizers are deterministic anyway). */
  readonly seed?: number;
  /** Evaluate accuracy on the first `samples` test samples (default: the whole test set). */
  readonly samples?: number;
  /** Add the rtn (min/max round-to-nearest) baseline at every bit rate (default true). */
  readonly baseline?: boolean;
  /** Called after every run (`done` of `total`). */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  readonly signal?: AbortSignal;
}

function metric(ms: readonly Metric[], name: string): number | null {
  const m = ms.find((x) => x.name === name && x.tensor === undefined);
  return m ? m.value : null;
}

/** Measured and theoretical numbers of one pipeline result. */
function measure(r: PipelineResult, details: readonly SupportRegionTensorDetail[] | null): { rows: ExperimentTensorRow[]; sqnrMeasuredDb: number | null; sqnrTheoryDb: number | null } {
  const cbs = codebookMap(r.quantized);
  const byName = new Map(r.original.map((t) => [t.name, t]));
  const dec = new Map(r.decoded.map((t) => [t.name, t]));
  const info = new Map((details ?? []).map((d) => [d.tensor, d]));
  const rows: ExperimentTensorRow[] = [];
  const stats: GridTheoryStats[] = [];
  const pooled = emptyStats();
  for (const q of r.quantized.tensors) {
    const w = byName.get(q.name)!.data,
      h = dec.get(q.name)!.data;
    const one = accumulateStats(emptyStats(), w, h);
    mergeStats(pooled, one);
    const cb = cbs.get(q.codebook)!;
    const d = info.get(q.name);
    let theory: number | null = null;
    if (cb.kind === "grid") {
      const st = gridTheoryStats({ original: w, decoded: h, codebook: cb, groups: codedGroups(q), positions: q.sparse?.positions });
      stats.push(st);
      theory = summarizeGridTheory(st).sqnrTheoryDb.value;
    }
    rows.push({
      tensor: q.name,
      count: w.length,
      sqnrMeasuredDb: sqnrOfSumsDb(one.signal, one.noise),
      sqnrTheoryDb: theory,
      xMaxSigma: d?.xMaxSigma ?? null,
      mu: d?.mu ?? null,
      sigma: d?.sigma ?? null,
      maxAbsOverSigma: d?.maxAbsOverSigma ?? null,
      overloadCount: d?.overloadCount ?? null,
      origin: d?.origin ?? null,
    });
  }
  const theory = stats.length === rows.length && rows.length > 0 ? summarizeGridTheory(combineGridTheoryStats(stats)).sqnrTheoryDb.value : null;
  return { rows, sqnrMeasuredDb: sqnrOfSumsDb(pooled.signal, pooled.noise), sqnrTheoryDb: theory };
}

function bitsPerWeight(r: PipelineResult): number | null {
  const t = r.encoded?.size.tensors;
  if (!t || t.length === 0) return null;
  let bytes = 0,
    count = 0;
  for (const x of t) {
    bytes += x.bytes;
    count += x.count;
  }
  return count > 0 ? (8 * bytes) / count : null;
}

/** Options shared by every pipeline run of the experiment. */
interface RunEnv {
  readonly probe: ModelProbe;
  readonly seed: number;
  readonly samples: number | undefined;
  readonly signal: AbortSignal | undefined;
}

function pipelineRun(env: RunEnv, quantizer: Quantizer | { plugin: QuantizerPlugin; options: unknown }): Promise<PipelineResult> {
  return runPipeline({
    model: env.probe,
    quantizer,
    coder: fixedCoder(),
    evaluators: [{ plugin: accuracyEvaluator(), options: env.samples === undefined ? {} : { samples: env.samples } }],
    options: { seed: env.seed, ...(env.signal ? { signal: env.signal } : {}) },
  });
}

/**
 * `mse` against the other choices: per tensor in layer scope (each tensor has its own x_max);
 * over all tensors together in global scope, where one x_max minimises the total error (a single
 * tensor can lose there while the sum wins).
 */
function deriveMseWins(runs: readonly ExperimentRun[]): MseWinRow[] {
  const out: MseWinRow[] = [];
  for (const m of runs.filter((r) => r.support === "mse")) {
    const peers = runs.filter((r) => r.bits === m.bits && r.scope === m.scope && r.support !== null && r.support !== "mse");
    const targets = m.scope === "layer" ? m.tensors.map((t) => t.tensor) : [ALL_TENSORS];
    const dbOf = (r: ExperimentRun, tensor: string): number | null => (tensor === ALL_TENSORS ? r.sqnrMeasuredDb : (r.tensors.find((x) => x.tensor === tensor)?.sqnrMeasuredDb ?? null));
    for (const tensor of targets) {
      const mseDb = dbOf(m, tensor);
      if (mseDb === null) continue;
      const db = (support: string): number | null => {
        const p = peers.find((x) => x.support === support);
        return p ? dbOf(p, tensor) : null;
      };
      let bestOther: string | null = null,
        bestOtherDb: number | null = null;
      for (const p of peers) {
        const v = dbOf(p, tensor);
        if (v !== null && (bestOtherDb === null || v > bestOtherDb)) {
          bestOtherDb = v;
          bestOther = p.support;
        }
      }
      const optimalDb = db("optimal");
      out.push({
        bits: m.bits,
        scope: m.scope!,
        tensor,
        mseDb,
        optimalDb,
        maxDb: db("max"),
        bestOther,
        bestOtherDb,
        gainOverOptimalDb: optimalDb === null ? null : mseDb - optimalDb,
        gainOverBestOtherDb: bestOtherDb === null ? null : mseDb - bestOtherDb,
      });
    }
  }
  return out;
}

function deriveLayerVsGlobal(runs: readonly ExperimentRun[]): LayerVsGlobalRow[] {
  const out: LayerVsGlobalRow[] = [];
  for (const l of runs.filter((r) => r.scope === "layer")) {
    const g = runs.find((r) => r.scope === "global" && r.bits === l.bits && r.support === l.support);
    if (!g) continue;
    for (const t of l.tensors) {
      const gv = g.tensors.find((x) => x.tensor === t.tensor)?.sqnrMeasuredDb ?? null;
      out.push({ bits: l.bits, support: l.support!, tensor: t.tensor, layerDb: t.sqnrMeasuredDb, globalDb: gv, diffDb: t.sqnrMeasuredDb === null || gv === null ? null : t.sqnrMeasuredDb - gv });
    }
  }
  return out;
}

/**
 * The support-region experiment (uniform-laplacian.md §5–6): quantizes the model's weights (biases
 * stay float32, core's default selection) at every bit rate × support choice × scope, codes them
 * with the fixed-width coder, decodes, and reports x_max/σ, theoretical and measured SQNR (per
 * tensor and overall), top-1 accuracy, agreement with the float network and coded bits per
 * weight — plus the rtn baseline at every bit rate, how `mse` compares with the other choices per
 * tensor, and layer-wise vs global SQNR per tensor.
 *
 * @param probe - The model; needs `forward` and a `testSet` (accuracy).
 * @throws {MissingCapabilityError} when the probe lacks a forward pass or a test set.
 * @throws {InvalidOptionsError} for bits outside 2–4, an invalid support choice or an empty list.
 */
export async function runSupportRegionExperiment(probe: ModelProbe, o: SupportRegionExperimentOptions = {}): Promise<SupportRegionExperiment> {
  if (!probe.forward) throw new MissingCapabilityError("support-region experiment", "forward");
  if (!probe.testSet) throw new MissingCapabilityError("support-region experiment", "dataset");
  const bits = [...(o.bits ?? [2, 3])];
  const supports = (o.supports ?? DEFAULT_EXPERIMENT_SUPPORTS).map((s) => formatSupportSpec(parseSupportSpec(s, "support")));
  const scopes = [...(o.scopes ?? (["layer", "global"] as const))];
  if (bits.length === 0 || supports.length === 0 || scopes.length === 0) throw new InvalidOptionsError("support-region", bits.length === 0 ? "bits" : supports.length === 0 ? "support" : "scope", "must list at least one value");
  for (const b of bits) if (!Number.isInteger(b) || b < 2 || b > 4) throw new InvalidOptionsError("support-region", "bits", `must be integers in 2…4 (got ${b})`);
  for (const s of scopes) if (s !== "layer" && s !== "global") throw new InvalidOptionsError("support-region", "scope", `must be layer or global (got ${String(s)})`);
  const env: RunEnv = { probe, seed: o.seed ?? 1, samples: o.samples, signal: o.signal };
  const baseline = o.baseline ?? true;
  const total = bits.length * (supports.length * scopes.length + (baseline ? 1 : 0));
  const runs: ExperimentRun[] = [];
  let floatAccuracy: number | null = null,
    testSamples: number | null = null,
    tensors: { name: string; count: number }[] = [];
  let done = 0;
  const step = (label: string): void => {
    done++;
    o.onProgress?.(done, total, label);
  };
  for (const b of bits) {
    for (const support of supports) {
      for (const scope of scopes) {
        if (env.signal) throwIfAborted({ signal: env.signal });
        const options = parseWithSchema("support-region", supportRegionOptionsSchema, { bits: b, supportRegion: support, scope: scope === "global" ? "joint" : scope });
        let details: readonly SupportRegionTensorDetail[] = [];
        const q: Quantizer = {
          id: "support-region",
          quantize: (ws: WeightSet, ctx) => {
            const r = supportRegionQuantize(ws, options, ctx);
            details = r.details;
            return r.model;
          },
        };
        const r = await pipelineRun(env, q);
        const m = measure(r, details);
        const xs = details.filter((d) => !d.degenerate).map((d) => d.xMaxSigma);
        const lo = xs.length ? Math.min(...xs) : null,
          hi = xs.length ? Math.max(...xs) : null;
        floatAccuracy ??= metric(r.metrics, "floatAccuracy");
        testSamples ??= metric(r.metrics, "testSamples");
        if (tensors.length === 0) tensors = m.rows.map((t) => ({ name: t.tensor, count: t.count }));
        runs.push({
          quantizer: "support-region",
          bits: b,
          support,
          scope,
          xMaxSigma: lo !== null && lo === hi ? lo : null,
          xMaxSigmaMin: lo,
          xMaxSigmaMax: hi,
          sqnrTheoryDb: m.sqnrTheoryDb,
          sqnrMeasuredDb: m.sqnrMeasuredDb,
          accuracy: metric(r.metrics, "accuracy"),
          agreement: metric(r.metrics, "agreement"),
          bitsPerWeight: bitsPerWeight(r),
          tensors: m.rows,
        });
        step(`${b} bit, ${support}, ${scope}`);
      }
    }
    if (baseline) {
      const r = await pipelineRun(env, { plugin: rtnQuantizer(), options: { bits: b } });
      const m = measure(r, null);
      runs.push({
        quantizer: "rtn",
        bits: b,
        support: null,
        scope: null,
        xMaxSigma: null,
        xMaxSigmaMin: null,
        xMaxSigmaMax: null,
        sqnrTheoryDb: null,
        sqnrMeasuredDb: m.sqnrMeasuredDb,
        accuracy: metric(r.metrics, "accuracy"),
        agreement: metric(r.metrics, "agreement"),
        bitsPerWeight: bitsPerWeight(r),
        tensors: m.rows,
      });
      step(`${b} bit, rtn`);
    }
  }
  return {
    model: probe.id,
    seed: env.seed,
    testSamples,
    floatAccuracy,
    bits,
    supports,
    scopes,
    tensors,
    runs,
    mseWins: deriveMseWins(runs),
    layerVsGlobal: deriveLayerVsGlobal(runs),
  };
}
