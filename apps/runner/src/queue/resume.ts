import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ErrorCodes, QuantforgeError, type ErrorCode } from "@quantforge/core";
import type { CompareCell, CompareCellRunner } from "@quantforge/core/host";
import { isReferenceModelId } from "@quantforge/model-tfjs";
import type { CompareDocument } from "@quantforge/report";
import { resolveCompareConfig, validateCompareConfig } from "../compare/config.js";
import type { CellRunContext } from "../compare/run-compare.js";
import { readResults } from "../compare/verify.js";
import { cellHash, contextKey } from "./cell-hash.js";

/** Errors that say nothing about the cell itself (machine speed, Ctrl-C, the queue): run again. */
const NOT_REUSED = new Set<string>([ErrorCodes.TIMEOUT, ErrorCodes.ABORTED, ErrorCodes.QUEUE]);

/** What `--resume` did. */
export interface ResumeCounts {
  /** Cells of the earlier results.json reused. */
  reused: number;
  /** Cells run (locally or through the queue). */
  run: number;
}

/**
 * The finished cells of an earlier run's `results.json`, by cell hash (computed from that run's
 * own manifest: inputs' SHA-256, settings, plugin and quantforge versions), so a cell is reused
 * only when everything that decides its result is unchanged. Timeouts, interrupts and queue
 * failures are not reused.
 */
export function finishedCells(doc: CompareDocument, path: string): Map<string, CompareCell> {
  const source = `"${path}" manifest.config`;
  const config = resolveCompareConfig(validateCompareConfig(doc.manifest.config, source), dirname(path), source);
  const key = contextKey({
    inputs: doc.manifest.inputs ?? [],
    config,
    plugins: doc.manifest.plugins ?? [],
    quantforgeVersion: doc.manifest.quantforgeVersion,
    referenceModel: config.model !== undefined && isReferenceModelId(config.model),
  });
  const out = new Map<string, CompareCell>();
  for (const c of doc.cells) {
    if (c.status === "failed" && NOT_REUSED.has(c.error?.code ?? "")) continue;
    out.set(cellHash(key, { quantizer: c.quantizer, options: c.options, coder: c.coder, coderOptions: c.coderOptions ?? {} }), c);
  }
  return out;
}

/** Reads `<out>/results.json` if there is one (else an empty map: nothing to resume). */
export async function loadFinished(out: string): Promise<Map<string, CompareCell>> {
  const path = join(out, "results.json");
  if (!existsSync(path)) return new Map();
  return finishedCells(await readResults(path), path);
}

/**
 * Wraps a cell runner so cells found in `finished` are answered from there (an ok cell's outcome,
 * or a failed cell's error, exactly as stored) and only the others run.
 */
export function resumeWrapper(finished: ReadonlyMap<string, CompareCell>, counts: ResumeCounts) {
  return (run: CompareCellRunner, ctx: CellRunContext): CompareCellRunner => {
    const key = contextKey({ ...ctx, referenceModel: ctx.config.model !== undefined && isReferenceModelId(ctx.config.model) });
    return async (spec, env) => {
      const c = finished.get(cellHash(key, spec));
      if (!c) {
        counts.run++;
        return run(spec, env);
      }
      counts.reused++;
      if (c.status === "failed") throw new QuantforgeError((c.error?.code ?? ErrorCodes.INTERNAL) as ErrorCode, c.error?.message ?? "", { exitCode: 1 });
      return { result: c.result!, codesSha256: c.codesSha256 ?? null, ...(c.normalized ? { normalized: c.normalized } : {}) };
    };
  };
}
