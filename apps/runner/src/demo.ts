import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCodes, isQuantforgeError } from "@quantforge/core";
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
  /** Set when the quantizer rejected this bit width (its options schema said why). */
  readonly skipped?: string;
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/**
 * The README's main job (for now): synthesizes the seeded default weights into a temp dir, reads
 * them back through the safetensors reader like any user file, and runs every registered
 * quantizer at each bit width with the fixed coder and the sqnr + size evaluators. A bit width a
 * quantizer's schema rejects is reported as skipped; any other failure stops the demo.
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
        let job;
        try {
          job = bindJob(rt, config, opts.seed);
        } catch (e) {
          if (isQuantforgeError(e) && e.code === ErrorCodes.INVALID_OPTIONS) {
            cells.push({ quantizer: q, bits, sqnrDb: null, mse: null, bitsPerWeight: null, compressionRatio: null, bytes: null, skipped: e.message });
            continue;
          }
          throw e;
        }
        const s = buildRunReport(await job.run(weights)).summary;
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
  const notes = cells.filter((c) => c.skipped).map((c) => `  ${c.quantizer} at ${c.bits} bits skipped: ${c.skipped}\n`).join("");
  return `${count} synthetic Laplacian weights, fixed-length coder:\n` +
    renderTable(["quantizer", "bits", "SQNR dB", "bits/weight", "ratio vs f32", "MSE"], rows, ["left", "right", "right", "right", "right", "right"]) + notes;
}
