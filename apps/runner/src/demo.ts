import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCodes, isQuantforgeError } from "@quantforge/core";
import { modelAccuracySummary } from "@quantforge/evaluator-accuracy";
import { loadModel } from "@quantforge/model-tfjs";
import { DEFAULT_CODER, DEFAULT_EVALUATORS, bindJob } from "./jobs.js";
import { fmt, renderTable } from "./output.js";
import type { CliProgress } from "./progress.js";
import { buildRunReport } from "./report.js";
import type { Runtime } from "./runtime.js";
import { DEFAULT_SYNTH_SPEC, synthesizeWeights, type SynthTensorSpec } from "./synth.js";
import { readWeights, writeWeights } from "./weights-io.js";

/** One cell of the demo table: a quantizer at one bit width. */
export interface DemoCell {
  readonly quantizer: string;
  readonly bits: number;
  readonly sqnrDb: number | null;
  readonly mse: number | null;
  readonly bitsPerWeight: number | null;
  readonly compressionRatio: number | null;
  readonly bytes: number | null;
  /** Why the cell was not run: the quantizer rejected this bit width or needs a model. */
  readonly skipped?: string;
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/**
 * The README's main job (for now): synthesizes the seeded default weights into a temp dir, reads
 * them back through the safetensors reader like any user file, and runs every registered
 * quantizer at each bit width with the fixed coder and the sqnr + size evaluators. A bit width a
 * quantizer's schema rejects, or a quantizer that needs model capabilities (calibration inputs,
 * a Hessian), is reported as skipped; any other failure stops the demo.
 */
export async function runDemo(rt: Runtime, opts: { seed: number; bits: readonly number[]; specs?: readonly SynthTensorSpec[]; progress?: CliProgress }): Promise<DemoCell[]> {
  const dir = await mkdtemp(join(tmpdir(), "quantforge-demo-"));
  try {
    const file = join(dir, "synthetic.safetensors");
    await writeWeights(file, synthesizeWeights(opts.specs ?? DEFAULT_SYNTH_SPEC, opts.seed), { generator: "quantforge demo", seed: String(opts.seed) });
    const weights = await readWeights(file);
    const quantizers = rt.registry.list("quantizer").map((p) => p.id);
    const cells: DemoCell[] = [];
    let done = 0;
    for (const q of quantizers) {
      for (const bits of opts.bits) {
        opts.progress?.update(`demo ${q} ${bits}-bit`, done++, quantizers.length * opts.bits.length);
        const config = { quantizer: { id: q, options: { bits } }, coder: { id: DEFAULT_CODER }, evaluators: DEFAULT_EVALUATORS.map((id) => ({ id })) };
        let result;
        try {
          result = await bindJob(rt, config, opts.seed).run(weights);
        } catch (e) {
          // A bit width the quantizer's schema rejects, or a method that needs a model (layer
          // inputs, Hessian, …) which bare synthetic weights cannot provide: report, go on.
          if (isQuantforgeError(e) && (e.code === ErrorCodes.INVALID_OPTIONS || e.code === ErrorCodes.MISSING_CAPABILITY)) {
            cells.push({ quantizer: q, bits, sqnrDb: null, mse: null, bitsPerWeight: null, compressionRatio: null, bytes: null, skipped: e.message });
            continue;
          }
          throw e;
        }
        const s = buildRunReport(result).summary;
        cells.push({ quantizer: q, bits, sqnrDb: num(s.sqnrDb), mse: num(s.mse), bitsPerWeight: num(s.bitsPerWeight), compressionRatio: num(s.compressionRatio), bytes: num(s.bytes) });
      }
    }
    opts.progress?.done();
    return cells;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One line per quantizer and reason for the combinations left out of a table (a bit width the
 * method's options reject, a method that needs a model): "support-region — left out at 8 bits:
 * field "bits" too big …". The reason loses the error's "invalid options for …" frame and its
 * "Fix that option." advice: the demo chose the option, not the user.
 */
export function leftOutNotes(cells: readonly DemoCell[]): string {
  const reasons = new Map<string, number[]>();
  for (const c of cells) {
    if (!c.skipped) continue;
    const why = c.skipped.replace(/^invalid options for "[^"]*": /, "").replace(/\s*Fix that option\.?$/, "");
    const key = `${c.quantizer}\u0000${why}`;
    reasons.set(key, [...(reasons.get(key) ?? []), c.bits]);
  }
  if (reasons.size === 0) return "";
  return (
    "Left out (the method does not support them):\n" +
    [...reasons]
      .map(([k, bits]) => {
        const [q, why] = k.split("\u0000") as [string, string];
        return `  ${q} at ${bits.join(", ")} bits: ${why}\n`;
      })
      .join("")
  );
}

/** The demo as a table: one row per quantizer and bit width it supports; the others are listed once below. */
export function renderDemo(cells: readonly DemoCell[], count: number): string {
  const rows = cells.filter((c) => !c.skipped).map((c) => [c.quantizer, c.bits, fmt(c.sqnrDb, 2), fmt(c.bitsPerWeight, 3), fmt(c.compressionRatio, 2), fmt(c.mse, 3)]);
  return `${count} synthetic Laplacian weights, fixed-length coder:\n` + renderTable(["quantizer", "bits", "SQNR dB", "bits/weight", "ratio vs f32", "MSE"], rows, ["left", "right", "right", "right", "right", "right"]) + leftOutNotes(cells);
}

/** One cell of the model head-to-head: a quantizer at one bit width on a real network. */
export interface ModelDemoCell extends DemoCell {
  /** Top-1 test accuracy of the decoded network (fraction). */
  readonly accuracy: number | null;
  /** Top-1 agreement with the float network (fraction). */
  readonly agreement: number | null;
  /** Mean KL(p_float ‖ p_quant) in nats. */
  readonly klDivergence: number | null;
  /** Wall time of the cell in seconds (not deterministic; not part of comparisons). */
  readonly seconds: number;
}

/** What {@link runModelDemo} returns: the model, its float accuracy and one cell per run. */
export interface ModelDemoResult {
  readonly model: string;
  readonly floatAccuracy: number | null;
  /** Weights quantized (dense/conv kernels) and kept in float32 (biases), counted in the size. */
  readonly quantizedWeights: number;
  readonly floatWeights: number;
  readonly cells: readonly ModelDemoCell[];
}

/**
 * The README's main job: every registered quantizer at each bit width on a reference network
 * (default the embedded mnist-mlp) with the fixed coder and the sqnr, size and accuracy
 * evaluators. Kernels are quantized, biases stay float32 and count in the size. The model and
 * the float predictions are loaded once (the accuracy evaluator caches them per probe).
 */
export async function runModelDemo(rt: Runtime, opts: { model: string; seed: number; bits: readonly number[]; data?: string; progress?: CliProgress }): Promise<ModelDemoResult> {
  const probe = await loadModel(opts.model, { data: opts.data ?? "embedded" });
  const quantizers = rt.registry.list("quantizer").map((p) => p.id);
  const cells: ModelDemoCell[] = [];
  let floatAccuracy: number | null = null;
  let done = 0;
  for (const q of quantizers) {
    for (const bits of opts.bits) {
      opts.progress?.update(`demo ${probe.id} ${q} ${bits}-bit`, done++, quantizers.length * opts.bits.length);
      const config = { quantizer: { id: q, options: { bits } }, coder: { id: DEFAULT_CODER }, evaluators: [...DEFAULT_EVALUATORS, "accuracy"].map((id) => ({ id })) };
      const t0 = performance.now();
      let job;
      try {
        job = bindJob(rt, config, opts.seed);
      } catch (e) {
        if (isQuantforgeError(e) && e.code === ErrorCodes.INVALID_OPTIONS) {
          cells.push({ quantizer: q, bits, sqnrDb: null, mse: null, bitsPerWeight: null, compressionRatio: null, bytes: null, accuracy: null, agreement: null, klDivergence: null, seconds: 0, skipped: e.message });
          continue;
        }
        throw e;
      }
      const r = await job.run(probe.weights, probe);
      const s = buildRunReport(r).summary;
      const m = modelAccuracySummary(probe.id, r.metrics);
      floatAccuracy = m.floatAccuracy;
      cells.push({
        quantizer: q,
        bits,
        sqnrDb: num(s.sqnrDb),
        mse: num(s.mse),
        bitsPerWeight: num(s.bitsPerWeight),
        compressionRatio: num(s.compressionRatio),
        bytes: num(s.bytes),
        accuracy: m.accuracy,
        agreement: m.agreement,
        klDivergence: m.klDivergence,
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }
  opts.progress?.done();
  const quantizedWeights = probe.weights.filter((t) => t.role === "weight").reduce((a, t) => a + t.data.length, 0);
  const floatWeights = probe.weights.reduce((a, t) => a + t.data.length, 0) - quantizedWeights;
  return { model: probe.id, floatAccuracy, quantizedWeights, floatWeights, cells };
}

/**
 * Cells ranked by the model-output metric, per bit width: mean KL(p_float ‖ p_quant) ascending
 * (how far the quantized network's outputs moved), then top-1 agreement descending, then SQNR;
 * cells without a KL go last. Left-out cells are dropped.
 */
export function rankModelCells(cells: readonly ModelDemoCell[]): ModelDemoCell[] {
  const key = (v: number | null, dir: 1 | -1) => (v === null || Number.isNaN(v) ? Infinity : dir * v);
  return cells
    .filter((c) => !c.skipped)
    .sort(
      (a, b) =>
        a.bits - b.bits || key(a.klDivergence, 1) - key(b.klDivergence, 1) || key(a.agreement, -1) - key(b.agreement, -1) || key(a.sqnrDb, -1) - key(b.sqnrDb, -1) || (a.quantizer < b.quantizer ? -1 : a.quantizer > b.quantizer ? 1 : 0),
    );
}

/**
 * The model head-to-head as a table: per bit width, the quantizers ranked by the model-output
 * metric (KL to the float network's outputs; "#" is the rank, 1 the closest); weight SQNR stays
 * a column. Combinations a method does not support are listed once below, not as rows.
 */
export function renderModelDemo(r: ModelDemoResult): string {
  const pct = (v: number | null) => (v === null ? "–" : (100 * v).toFixed(2));
  const ranked = rankModelCells(r.cells);
  const rows = ranked.map((c, i) => {
    const rank = ranked.slice(0, i + 1).filter((x) => x.bits === c.bits).length;
    return [c.bits, rank, c.quantizer, fmt(c.klDivergence, 4), pct(c.agreement), pct(c.accuracy), fmt(c.sqnrDb, 2), fmt(c.bitsPerWeight, 3), fmt(c.compressionRatio, 2)];
  });
  return (
    `${r.model}: ${r.quantizedWeights} kernel weights quantized, ${r.floatWeights} biases kept in float32 (counted in the size); float test accuracy ${pct(r.floatAccuracy)}%; fixed-length coder.\n` +
    "Ranked per bit width by the model-output metric: mean KL(float outputs ‖ quantized outputs), lower is closer; weight SQNR is shown, not ranked on.\n" +
    renderTable(["bits", "#", "quantizer", "KL nats", "agreement %", "accuracy %", "SQNR dB", "bits/weight", "ratio vs f32"], rows, ["right", "right", "left", "right", "right", "right", "right", "right", "right"]) +
    leftOutNotes(r.cells)
  );
}
