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

/** The demo as a table: one row per quantizer and bit width. */
export function renderDemo(cells: readonly DemoCell[], count: number): string {
  const rows = cells.map((c) => [c.quantizer, c.bits, c.skipped ? "skipped" : fmt(c.sqnrDb, 2), fmt(c.bitsPerWeight, 3), fmt(c.compressionRatio, 2), fmt(c.mse, 3)]);
  // One note per quantizer and reason: "gpfq skipped at 2, 4, 8 bits: needs a model …".
  const reasons = new Map<string, number[]>();
  for (const c of cells) if (c.skipped) reasons.set(`${c.quantizer}\u0000${c.skipped}`, [...(reasons.get(`${c.quantizer}\u0000${c.skipped}`) ?? []), c.bits]);
  const notes = [...reasons].map(([k, bits]) => {
    const [q, why] = k.split("\u0000") as [string, string];
    return `  ${q} skipped at ${bits.join(", ")} bits: ${why}\n`;
  }).join("");
  return `${count} synthetic Laplacian weights, fixed-length coder:\n` +
    renderTable(["quantizer", "bits", "SQNR dB", "bits/weight", "ratio vs f32", "MSE"], rows, ["left", "right", "right", "right", "right", "right"]) + notes;
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
        quantizer: q, bits, sqnrDb: num(s.sqnrDb), mse: num(s.mse), bitsPerWeight: num(s.bitsPerWeight), compressionRatio: num(s.compressionRatio), bytes: num(s.bytes),
        accuracy: m.accuracy, agreement: m.agreement, klDivergence: m.klDivergence, seconds: (performance.now() - t0) / 1000,
      });
    }
  }
  opts.progress?.done();
  const quantizedWeights = probe.weights.filter((t) => t.role === "weight").reduce((a, t) => a + t.data.length, 0);
  const floatWeights = probe.weights.reduce((a, t) => a + t.data.length, 0) - quantizedWeights;
  return { model: probe.id, floatAccuracy, quantizedWeights, floatWeights, cells };
}

/** The model head-to-head as a table: one row per quantizer and bit width. */
export function renderModelDemo(r: ModelDemoResult): string {
  const pct = (v: number | null) => (v === null ? "–" : (100 * v).toFixed(2));
  const rows = r.cells.map((c) => [c.quantizer, c.bits, c.skipped ? "skipped" : fmt(c.sqnrDb, 2), pct(c.accuracy), pct(c.agreement), fmt(c.klDivergence, 4), fmt(c.bitsPerWeight, 3), fmt(c.compressionRatio, 2)]);
  const notes = r.cells.filter((c) => c.skipped).map((c) => `  ${c.quantizer} at ${c.bits} bits skipped: ${c.skipped}\n`).join("");
  return `${r.model}: ${r.quantizedWeights} kernel weights quantized, ${r.floatWeights} biases kept in float32 (counted in the size); float test accuracy ${pct(r.floatAccuracy)}%; fixed-length coder:\n` +
    renderTable(["quantizer", "bits", "SQNR dB", "accuracy %", "agreement %", "KL nats", "bits/weight", "ratio vs f32"], rows, ["left", "right", "right", "right", "right", "right", "right", "right"]) + notes;
}
