import type { Metric } from "@quantforge/core";
import { meanSquaredError, sqnrDb, type ErrorStats } from "@quantforge/metrics";

// The statistics and the SQNR formula live in @quantforge/metrics; re-exported for existing importers.
export { accumulateStats, emptyStats, mergeStats, sqnrDb } from "@quantforge/metrics";
export type { ErrorStats } from "@quantforge/metrics";

/**
 * The three measured metrics of one comparison: `mse` (Σ(w − ŵ)²/n), `maxAbsError` and `sqnrDb`.
 * Metrics of an exact reconstruction all carry `exact: true`.
 *
 * @param s - Accumulated statistics.
 * @param tensor - Tensor name for per-tensor metrics; omitted for the overall ones.
 */
export function sqnrMetrics(s: Readonly<ErrorStats>, tensor?: string): Metric[] {
  const where = tensor === undefined ? {} : { tensor };
  if (s.count === 0) {
    const reason = "empty tensor";
    return [
      { name: "mse", value: null, reason, ...where },
      { name: "maxAbsError", value: null, reason, ...where },
      { name: "sqnrDb", value: null, reason, unit: "dB", ...where },
    ];
  }
  const q = sqnrDb(s);
  const exact = s.noise === 0 ? { exact: true as const } : {};
  return [
    { name: "mse", value: meanSquaredError(s), ...where, ...exact },
    { name: "maxAbsError", value: s.maxAbs, ...where, ...exact },
    { name: "sqnrDb", value: q.value, unit: "dB", ...where, ...(q.reason ? { reason: q.reason } : {}), ...exact },
  ];
}
