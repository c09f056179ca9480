import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { relativeDiff } from "./inputs.js";
import type { RunResult, Weight } from "./runtimes.js";
import type { CellResult } from "./types.js";

// The comparisons of one model's run (run-model.ts): compare cells, written files and sizes,
// model outputs and weights against the reference.

/** The cells of a `compare --json` document written to `file` (none when it is missing). */
export function cellsOf(file: string): CellResult[] {
  if (!existsSync(file)) return [];
  const doc = JSON.parse(readFileSync(file, "utf8")) as { cells?: Array<Record<string, unknown>> };
  return (doc.cells ?? []).map((c) => {
    const summary = (c["result"] as { summary?: Record<string, unknown> } | undefined)?.summary ?? {};
    const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
    const err = c["error"] as { code?: string } | string | undefined;
    return {
      label: String(c["label"] ?? c["quantizer"]),
      bits: num(c["bits"]),
      status: String(c["status"]),
      errorCode: typeof err === "object" && err ? (err.code ?? null) : null,
      bitsPerWeight: num(summary["bitsPerWeight"]),
      bytes: num(summary["bytes"]),
      worstRelError: num(summary["outputRelErrorWorst"] ?? summary["outputRelError"]),
    };
  });
}

/** Total bytes of the files in `dir` that `skip` does not exclude. */
export function dirBytes(dir: string, skip: (name: string) => boolean): number {
  return readdirSync(dir)
    .filter((n) => !skip(n))
    .reduce((s, n) => s + statSync(join(dir, n)).size, 0);
}

/** Largest relative L2 difference of `got`'s outputs from `ref`'s (pinned unit maps by max |Δ|). */
export function compareOutputs(got: RunResult, ref: RunResult): { maxRel: number; detail: string | null; note?: string } {
  if (!got.ok) return { maxRel: Number.POSITIVE_INFINITY, detail: got.reason };
  if (!ref.ok) return { maxRel: Number.POSITIVE_INFINITY, detail: ref.reason };
  if (got.outputs.length !== ref.outputs.length) return { maxRel: Number.POSITIVE_INFINITY, detail: `${got.outputs.length} outputs vs ${ref.outputs.length}` };
  let maxRel = 0;
  const pinned: string[] = [];
  for (let i = 0; i < ref.outputs.length; i++) {
    const r = ref.outputs[i]!.data,
      g = got.outputs[i]!.data;
    if (pinnedUnitMap(r)) {
      // Relative to its range (1): such a map is computed to an absolute resolution (2^-23 steps on
      // the PP-OCRv4 detector's sigmoid map), so its relative L2 on ~1e-7 values measures nothing.
      pinned.push(ref.outputs[i]!.name);
      let d = 0;
      for (let k = 0; k < r.length; k++) d = Math.max(d, Number.isNaN(g[k]!) ? Infinity : Math.abs(g[k]! - r[k]!));
      maxRel = Math.max(maxRel, d);
    } else maxRel = Math.max(maxRel, relativeDiff(g, r).rel);
  }
  return { maxRel, detail: null, ...(pinned.length > 0 ? { note: `[0, 1] output(s) pinned near 0 or 1 on these inputs compared by max |Δ| (their range is 1): ${pinned.join(", ")}` } : {}) };
}

/** Every value in [0, 1] and all within 1e-3 of 0, or all of 1: a sigmoid map with nothing (or everything) detected. */
export function pinnedUnitMap(v: ArrayLike<number>): boolean {
  if (v.length === 0) return false;
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]!);
    hi = Math.max(hi, v[i]!);
  }
  return lo >= 0 && hi <= 1 && (hi <= 1e-3 || lo >= 1 - 1e-3);
}

/** Largest relative L2 difference of each reference tensor in `got` (a missing one fails). */
export function compareWeights(got: ReadonlyMap<string, Weight>, ref: ReadonlyMap<string, Weight>): { maxRel: number; detail: string | null } {
  let maxRel = 0;
  let missing = 0;
  for (const [name, w] of ref) {
    const g = got.get(name);
    if (!g) {
      missing++;
      continue;
    }
    maxRel = Math.max(maxRel, relativeDiff(g.data, w.data).rel);
  }
  return missing > 0 ? { maxRel: Number.POSITIVE_INFINITY, detail: `${missing} of ${ref.size} reference tensors missing in the written weights` } : { maxRel, detail: null };
}

/** The first file in `dir` (by name) matching `ext`, reports excluded; null when none. */
export function writtenFile(dir: string, ext: RegExp): string | null {
  const names = readdirSync(dir).filter((n) => ext.test(n) && !/^report\./.test(n));
  return names.length > 0 ? join(dir, names.sort()[0]!) : null;
}
