import type { ModelProbe } from "./capabilities.js";
import { isQuantforgeError } from "./errors.js";
import type { CoderPlugin, EvaluatorPlugin, QuantizerPlugin } from "./plugin.js";
import { runPipeline, type PipelineResult } from "./pipeline.js";
import { summarizeRun, type RunSummary } from "./report.js";
import type { TensorSelector } from "./selection.js";
import type { WeightSet } from "./tensor.js";

/** A quantizer in a comparison: a descriptor, optionally with fixed options and a label. */
export interface CompareQuantizer {
  readonly plugin: QuantizerPlugin;
  readonly options?: Record<string, unknown>;
  /** Shown in tables; default `id` or `id:k=v,…`. */
  readonly label?: string;
}

/** One cell: a quantizer with options at one bit rate, coded by one coder. */
export interface CompareCell {
  readonly label: string;
  readonly quantizer: string;
  readonly options: Record<string, unknown>;
  readonly bits: number | null;
  readonly coder: string;
  readonly status: "ok" | "failed";
  readonly error?: { readonly code: string; readonly message: string };
  readonly result?: RunSummary;
  readonly seconds: number;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  readonly weights?: WeightSet;
  readonly model?: ModelProbe;
  readonly quantizers: readonly (QuantizerPlugin | CompareQuantizer)[];
  /** Bit rates; each cell passes `bits` to the quantizer (omit for methods swept by options). */
  readonly bits?: readonly number[];
  readonly coders: readonly CoderPlugin[];
  readonly evaluators?: readonly EvaluatorPlugin[];
  readonly select?: TensorSelector;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** Called after every cell (progress, streaming output). */
  readonly onCell?: (cell: CompareCell, index: number, total: number) => void;
  /** Keeps each cell's full pipeline result (decoded weights, container bytes). */
  readonly onResult?: (cell: CompareCell, result: PipelineResult) => void;
}

function labelOf(id: string, options: Record<string, unknown>): string {
  const kv = Object.entries(options).filter(([k]) => k !== "bits").map(([k, v]) => `${k}=${String(v)}`);
  return kv.length ? `${id}:${kv.join(",")}` : id;
}

/**
 * Puts every quantizer × bit rate × coder on the same input with the same evaluators and seed.
 * A cell whose plugin throws is marked failed with its error and the comparison goes on.
 */
export async function compare(o: CompareOptions): Promise<{ readonly cells: readonly CompareCell[] }> {
  const qs: CompareQuantizer[] = o.quantizers.map((q) => ("plugin" in q ? q : { plugin: q }));
  const bits: (number | null)[] = o.bits && o.bits.length ? [...o.bits] : [null];
  const total = qs.length * bits.length * o.coders.length;
  const cells: CompareCell[] = [];
  for (const q of qs) {
    for (const b of bits) {
      for (const c of o.coders) {
        if (o.signal?.aborted) return { cells };
        const options = { ...(q.options ?? {}), ...(b === null ? {} : { bits: b }) };
        const label = q.label ?? labelOf(q.plugin.id, q.options ?? {});
        const t0 = performance.now();
        let cell: CompareCell;
        try {
          const r = await runPipeline({
            weights: o.weights, model: o.model, select: o.select,
            quantizer: { plugin: q.plugin, options },
            coder: c, evaluators: o.evaluators ?? [],
            options: { seed: o.seed ?? 0, signal: o.signal },
          });
          cell = { label, quantizer: q.plugin.id, options, bits: b, coder: c.id, status: "ok", result: summarizeRun(r), seconds: (performance.now() - t0) / 1000 };
          o.onResult?.(cell, r);
        } catch (e) {
          const code = isQuantforgeError(e) ? e.code : "QF_INTERNAL";
          cell = { label, quantizer: q.plugin.id, options, bits: b, coder: c.id, status: "failed", error: { code, message: e instanceof Error ? e.message : String(e) }, seconds: (performance.now() - t0) / 1000 };
        }
        cells.push(cell);
        o.onCell?.(cell, cells.length, total);
      }
    }
  }
  return { cells };
}
