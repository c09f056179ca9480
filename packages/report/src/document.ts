import type { CompareCell } from "@quantforge/core/host";
import type { RankMetric } from "./ranking.js";

/** An input file of a comparison and its SHA-256 (the manifest's proof of what was compared). */
export interface InputFile {
  /** What the file is: `weights`, `model.json`, `weights shard`, `training.json`, … */
  readonly role: string;
  /** Absolute path at the time of the run. */
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
}

/** Version of a plugin that took part. */
export interface PluginVersion {
  readonly kind: "quantizer" | "coder" | "evaluator";
  readonly id: string;
  readonly version: string;
}

/**
 * The reproducibility manifest every compare output carries: enough to re-run the comparison
 * and to tell whether a re-run used the same inputs and software.
 */
export interface CompareManifest {
  readonly seed: number;
  /** Version of quantforge (the runner) that produced the results. */
  readonly quantforgeVersion: string;
  /** `process.version` of the Node that ran it. */
  readonly node: string;
  /** Every plugin that took part, with its version. */
  readonly plugins: readonly PluginVersion[];
  /** Input files with their SHA-256. */
  readonly inputs: readonly InputFile[];
  /** The full resolved configuration (defaults applied), as the config-file schema reads it. */
  readonly config: Record<string, unknown>;
}

/** Counts of a comparison. */
export interface CompareTotals {
  /** Cells in the plan. */
  readonly planned: number;
  /** Cells that finished (ok + failed). */
  readonly finished: number;
  readonly ok: number;
  readonly failed: number;
  /** Wall-clock seconds of the whole comparison (a timing: not compared by `--verify`). */
  readonly seconds: number;
}

/** Format tag of `results.json`. */
export const COMPARE_FORMAT = "quantforge-compare";
/** Version of the `results.json` layout. */
export const COMPARE_FORMAT_VERSION = 1;

/**
 * `results.json`: every cell with every metric and error, the totals and the manifest. The
 * Markdown, CSV and HTML reports are all rendered from this one document.
 */
export interface CompareDocument {
  readonly format: typeof COMPARE_FORMAT;
  readonly version: typeof COMPARE_FORMAT_VERSION;
  /** A short description of the input (`model mnist-mlp`, `weights w.safetensors`). */
  readonly title: string;
  readonly manifest: CompareManifest;
  /** True when the run was stopped (Ctrl-C) before every cell finished. */
  readonly interrupted: boolean;
  readonly totals: CompareTotals;
  /** Finished cells in plan order. */
  readonly cells: readonly CompareCell[];
  /**
   * The metric "best" is decided by (see `rankingOf`): `accuracy`, `outputRelErrorWorst`
   * (model-output metrics) or `sqnrDb` (weights only). Absent in documents written before it.
   */
  readonly rankedBy?: RankMetric;
}
