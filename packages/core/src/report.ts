import type { Diagnostic } from "./context.js";
import type { Metric } from "./plugin.js";
import type { PipelineResult } from "./pipeline.js";

/** One row per quantized tensor: name, shape, count and every per-tensor metric by name. */
export interface TensorRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  /** Present (true) when the reconstruction of this tensor is exact. */
  readonly exact?: boolean;
  readonly [metric: string]: unknown;
}

/** The machine-readable summary of one run (the shape of `quantforge run --json`). */
export interface RunSummary {
  readonly quantizer: { readonly id: string; readonly options: unknown };
  readonly coder: { readonly id: string } | null;
  readonly seed: number;
  readonly tensors: readonly TensorRow[];
  /** Tensors kept in float32 (biases by default), counted at 32 bits per value. */
  readonly passthrough: readonly { readonly name: string; readonly shape: readonly number[]; readonly count: number }[];
  readonly summary: { readonly count: number; readonly [metric: string]: unknown };
  readonly diagnostics: readonly Diagnostic[];
}

function applyMetric(row: Record<string, unknown>, m: Metric): void {
  row[m.name] = m.value;
  if (m.exact) row.exact = true;
  if (m.value === null && m.reason) row[`${m.name}Reason`] = m.reason;
}

/** Folds a pipeline result's metrics into per-tensor rows and a summary. */
export function summarizeRun(r: PipelineResult): RunSummary {
  const rows = new Map<string, Record<string, unknown>>();
  const passthrough: { name: string; shape: readonly number[]; count: number }[] = [];
  for (const t of r.original) {
    if (r.quantizedNames.has(t.name)) rows.set(t.name, { name: t.name, shape: [...t.shape], count: t.data.length });
    else passthrough.push({ name: t.name, shape: [...t.shape], count: t.data.length });
  }
  const summary: Record<string, unknown> = { count: r.original.reduce((a, t) => a + t.data.length, 0) };
  for (const m of r.metrics) {
    if (m.tensor === undefined) applyMetric(summary, m);
    else {
      const row = rows.get(m.tensor);
      if (row) applyMetric(row, m);
    }
  }
  return {
    quantizer: r.quantizer,
    coder: r.coder,
    seed: r.seed,
    tensors: [...rows.values()] as TensorRow[],
    passthrough,
    summary: summary as RunSummary["summary"],
    diagnostics: r.diagnostics,
  };
}
