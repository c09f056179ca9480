import type { ModelResult } from "./types.js";

/** Share of a model's float weights (counted by the corpus) that must be quantized. */
export const MIN_QUANTIZED_PCT = 90;

/**
 * Issue 15's acceptance for one model: sensitivity (runnable models), compare and every quantize
 * target exit 0; ≥ 90 % of the float weights quantized; every independent reload agrees.
 */
export function acceptance(r: ModelResult): { ok: boolean; failures: string[] } {
  const failures: string[] = [];
  const failed = (what: string, c: { exitCode: number | null; errorCode: string | null; message: string | null }) =>
    failures.push(`${what}: exit ${c.exitCode ?? "killed"}${c.errorCode ? ` ${c.errorCode}` : ""}${c.message ? ` — ${c.message}` : ""}`);
  if (r.sensitivity && r.sensitivity.exitCode !== 0) failed("sensitivity", r.sensitivity);
  if (!r.compare) failures.push("compare did not run");
  else if (r.compare.exitCode !== 0) failed("compare", r.compare);
  for (const q of r.quantize) {
    if (q.exitCode !== 0) failed(`quantize --target ${q.target}`, q);
    else if (q.reload.status === "differs" || q.reload.status === "error" || q.reload.status === "not-run")
      failures.push(`reload ${q.target}: ${q.reload.status}${q.reload.maxRelDiff !== null ? ` (max rel diff ${q.reload.maxRelDiff.toExponential(2)})` : ""}${q.reload.detail ? ` — ${q.reload.detail}` : ""}`);
  }
  if (r.quantize.length === 0) failures.push("no quantize target ran");
  const pct = r.weights?.quantizedPct;
  if (pct === null || pct === undefined) failures.push("quantized share unknown (no qf report)");
  else if (pct < MIN_QUANTIZED_PCT) failures.push(`only ${pct.toFixed(1)} % of ${r.weights?.floatWeights} float weights quantized (< ${MIN_QUANTIZED_PCT} %)`);
  return { ok: failures.length === 0, failures };
}
