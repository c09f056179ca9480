import type { PipelineResult } from "./pipeline.js";
import { summarizeRun, type RunSummary } from "./report.js";

/** σ-normalised SQNR of one quantized tensor. */
export interface NormalizedTensorSqnr {
  readonly name: string;
  readonly count: number;
  /** Standard deviation of the original weights (mean removed). */
  readonly sigma: number;
  /** 10·log10(σ² / MSE); null with `reason` for an exact reconstruction or zero variance. */
  readonly sqnrDb: number | null;
  readonly reason?: string;
}

/**
 * Per-tensor σ-normalised SQNR of a cell: every quantized tensor scaled to unit variance, so
 * tensors of different spread count alike. This is the quantity rate–distortion references for
 * a unit-variance source (e.g. the Shannon lower bound of a Laplacian) bound, unlike SQNR pooled
 * over raw weights, which large-σ layers dominate.
 */
export interface NormalizedSqnr {
  readonly tensors: readonly NormalizedTensorSqnr[];
  /**
   * −10·log10(Σ n_t·MSE_t/σ_t² / Σ n_t) over the quantized tensors with σ > 0: the SQNR of the
   * σ-normalised weights pooled. Null (with `reason`) when exact or when no tensor has spread.
   */
  readonly sqnrDb: number | null;
  readonly reason?: string;
  /**
   * Bits per quantized weight: 8 × the bytes of the quantized tensors' streams and their share of
   * codebooks / their element count (headers and float32 passthrough tensors left out, so the
   * rate is that of the normalised source). Null when no coder ran.
   */
  readonly bitsPerWeight: number | null;
}

/** What running one cell produced, in a form that survives JSON and `postMessage`. */
export interface CompareCellOutcome {
  readonly result: RunSummary;
  /** SHA-256 (hex) of the coded container's bytes; null when no coder ran. */
  readonly codesSha256: string | null;
  /** Present when the caller passed a {@link CellNormalizer}. */
  readonly normalized?: NormalizedSqnr;
}

/**
 * Computes a cell's σ-normalised SQNR from its pipeline result. Core defines no metric math:
 * hosts pass `normalizedSqnr` from `@quantforge/metrics` (the runner does).
 */
export type CellNormalizer = (r: PipelineResult) => NormalizedSqnr;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** SHA-256 of `bytes` as lowercase hex (Web Crypto, so it works in Node and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let s = "";
  for (const b of digest) s += HEX[b]!;
  return s;
}

/**
 * Turns a pipeline result into a cell outcome: the run summary (every metric), the SHA-256 of
 * the coded container (what `--verify` compares) and, with `normalize`, the σ-normalised SQNR.
 */
export async function cellOutcome(r: PipelineResult, normalize?: CellNormalizer): Promise<CompareCellOutcome> {
  return {
    result: summarizeRun(r),
    codesSha256: r.encoded ? await sha256Hex(r.encoded.bytes) : null,
    ...(normalize ? { normalized: normalize(r) } : {}),
  };
}
