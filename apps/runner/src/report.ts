import { printable } from "@quantforge/core";
import { summarizeRun, type PipelineResult, type RunSummary } from "@quantforge/core/host";
import { fmt, renderTable } from "./output.js";
import { ratioChange } from "./size-change.js";

/** Per-tensor keys `run --json` always carries (null when no evaluator produced them). */
export const TENSOR_KEYS = ["mse", "sqnrDb", "bytes", "bitsPerWeight", "entropyBits"] as const;
/** Summary keys `run --json` always carries (null when no evaluator produced them). */
export const SUMMARY_KEYS = ["mse", "sqnrDb", "bytes", "bitsPerWeight", "compressionRatio"] as const;

/** The document `quantforge run --json` prints: core's {@link RunSummary} with its keys pinned. */
export interface RunReport extends Omit<RunSummary, "tensors" | "summary" | "coder"> {
  readonly coder: { readonly id: string };
  readonly tensors: readonly (RunSummary["tensors"][number] & Record<(typeof TENSOR_KEYS)[number], unknown>)[];
  readonly summary: RunSummary["summary"] & Record<(typeof SUMMARY_KEYS)[number], unknown>;
  /** Anything else worth recording (input file and hash, plugin versions). */
  readonly [extra: string]: unknown;
}

function withKeys<T extends object>(o: T, keys: readonly string[]): T {
  const r: Record<string, unknown> = { ...(o as Record<string, unknown>) };
  for (const k of keys) if (!(k in r)) r[k] = null;
  return r as T;
}

/**
 * Builds the `run --json` document from a pipeline result via core's `summarizeRun`. The keys
 * the CLI promises are always present (null when an evaluator was left out); evaluators may add
 * more. `extra` fields are appended after the fixed ones.
 */
export function buildRunReport(r: PipelineResult, extra: Record<string, unknown> = {}): RunReport {
  const s = summarizeRun(r);
  const { quantizer, coder, seed, tensors, summary, ...rest } = s;
  return {
    quantizer,
    coder: coder ?? { id: "none" },
    seed,
    tensors: tensors.map((t) => withKeys(t, TENSOR_KEYS)) as unknown as RunReport["tensors"],
    summary: withKeys(summary, SUMMARY_KEYS) as unknown as RunReport["summary"],
    ...rest,
    ...extra,
  };
}

/** A readable per-tensor table plus a one-line summary. */
export function renderRunReport(rep: RunReport): string {
  const rows = rep.tensors.map((t) => [printable(t.name), `[${t.shape.join("×")}]`, t.count, t.exact ? "exact" : fmt(t.sqnrDb, 2), fmt(t.mse, 3), fmt(t.bytes, 0), fmt(t.bitsPerWeight, 3), fmt(t.entropyBits, 3)] as (string | number)[]);
  for (const p of rep.passthrough) rows.push([p.name, `[${p.shape.join("×")}]`, p.count, "float32", "0", fmt(p.count * 4, 0), "32.000", "–"]);
  const table = renderTable(["tensor", "shape", "count", "SQNR dB", "MSE", "bytes", "bits/w", "entropy"], rows, ["left", "left", "right", "right", "right", "right", "right", "right"]);
  const s = rep.summary;
  const sqnr = s.sqnrDb === null && (s as { exact?: boolean }).exact ? "exact" : `${fmt(s.sqnrDb, 2)} dB`;
  const line =
    `${rep.quantizer.id} + ${rep.coder.id} (seed ${rep.seed}): ${s.count} weights, SQNR ${sqnr}, MSE ${fmt(s.mse, 3)}, ` +
    `${fmt(s.bytes, 0)} bytes, ${fmt(s.bitsPerWeight, 3)} bits/weight, ${typeof s.compressionRatio === "number" ? ratioChange(s.compressionRatio) : "–"} than float32\n`;
  return table + line;
}
