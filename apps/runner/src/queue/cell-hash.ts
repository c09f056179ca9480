import { createHash } from "node:crypto";
import type { CompareCellSpec } from "@quantforge/core/host";
import type { InputFile, PluginVersion } from "@quantforge/report";
import type { ResolvedCompareConfig } from "../compare/config.js";

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * What every cell of one comparison shares and that decides its result: the inputs' bytes
 * (SHA-256, not paths: the same file elsewhere is the same input), the input settings, the tensor
 * selection, the evaluators, the seed and the software versions.
 */
export interface CellHashContext {
  readonly inputs: readonly Pick<InputFile, "role" | "sha256">[];
  readonly config: Pick<ResolvedCompareConfig, "model" | "data" | "inputShapes" | "inputRanges" | "evaluators" | "seed" | "include" | "exclude" | "allTensors" | "allowEmpty">;
  readonly plugins: readonly PluginVersion[];
  readonly quantforgeVersion: string;
  /** True when `config.model` is a reference model id (its files are hashed, its path is not). */
  readonly referenceModel: boolean;
}

/** The part of a {@link CellHashContext} that is hashed (shared by every cell; compute once). */
export function contextKey(c: CellHashContext): string {
  return canonicalJson({
    v: 1,
    inputs: c.inputs.map((f) => [f.role, f.sha256]),
    model: c.config.model === undefined ? null : c.referenceModel ? c.config.model : "file",
    data: c.config.data === "embedded" ? "embedded" : c.config.data === undefined ? null : "file",
    inputShapes: c.config.inputShapes ?? null,
    inputRanges: c.config.inputRanges ?? null,
    evaluators: c.config.evaluators.map((e) => ({ id: e.id, options: e.options })),
    seed: c.config.seed,
    select: { include: c.config.include, exclude: c.config.exclude, allTensors: c.config.allTensors, allowEmpty: Boolean(c.config.allowEmpty) },
    plugins: [...c.plugins].map((p) => `${p.kind}/${p.id}@${p.version}`).sort(),
    quantforge: c.quantforgeVersion,
  });
}

/**
 * The cell hash: SHA-256 of everything that decides the cell's outcome (its quantizer, options,
 * coder and coder options, plus {@link contextKey}). Equal hashes ⇒ equal results (determinism),
 * so `--resume` reuses a finished cell and the queue runs one job per hash. The plan index and
 * series label are left out: they only say where the cell is shown.
 */
export function cellHash(contextKeyText: string, spec: Pick<CompareCellSpec, "quantizer" | "options" | "coder" | "coderOptions">): string {
  const text = canonicalJson({ context: contextKeyText, quantizer: spec.quantizer, options: spec.options, coder: spec.coder, coderOptions: spec.coderOptions });
  return createHash("sha256").update(text).digest("hex");
}
