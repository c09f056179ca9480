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
  readonly normalized: NormalizedSqnr;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** SHA-256 of `bytes` as lowercase hex (Web Crypto, so it works in Node and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let s = "";
  for (const b of digest) s += HEX[b];
  return s;
}

/** Computes {@link NormalizedSqnr} from a pipeline result (float64 sums over the float32 data). */
export function normalizedSqnr(r: PipelineResult): NormalizedSqnr {
  const decoded = new Map(r.decoded.map((t) => [t.name, t.data]));
  const sizes = new Map((r.encoded?.size.tensors ?? []).map((t) => [t.name, t.bytes]));
  const tensors: NormalizedTensorSqnr[] = [];
  let weighted = 0, counted = 0, bytes = 0, all = 0;
  for (const t of r.original) {
    if (!r.quantizedNames.has(t.name)) continue;
    const w = t.data;
    const d = decoded.get(t.name)!;
    const n = w.length;
    all += n;
    bytes += sizes.get(t.name) ?? 0;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += w[i]!;
    mean = n > 0 ? mean / n : 0;
    let v = 0, e = 0;
    for (let i = 0; i < n; i++) {
      const c = w[i]! - mean;
      const x = w[i]! - d[i]!;
      v += c * c;
      e += x * x;
    }
    const variance = n > 0 ? v / n : 0;
    const mse = n > 0 ? e / n : 0;
    const sigma = Math.sqrt(variance);
    if (variance === 0) {
      tensors.push({ name: t.name, count: n, sigma, sqnrDb: null, reason: n === 0 ? "empty tensor" : "zero variance" });
      continue;
    }
    weighted += (n * mse) / variance;
    counted += n;
    tensors.push(mse === 0
      ? { name: t.name, count: n, sigma, sqnrDb: null, reason: "exact reconstruction" }
      : { name: t.name, count: n, sigma, sqnrDb: 10 * Math.log10(variance / mse) });
  }
  const bitsPerWeight = r.encoded && all > 0 ? (8 * bytes) / all : null;
  if (counted === 0) return { tensors, sqnrDb: null, reason: "no quantized tensor with nonzero variance", bitsPerWeight };
  if (weighted === 0) return { tensors, sqnrDb: null, reason: "exact reconstruction", bitsPerWeight };
  return { tensors, sqnrDb: -10 * Math.log10(weighted / counted), bitsPerWeight };
}

/**
 * Turns a pipeline result into a cell outcome: the run summary (every metric), the SHA-256 of
 * the coded container (what `--verify` compares) and the σ-normalised SQNR.
 */
export async function cellOutcome(r: PipelineResult): Promise<CompareCellOutcome> {
  return {
    result: summarizeRun(r),
    codesSha256: r.encoded ? await sha256Hex(r.encoded.bytes) : null,
    normalized: normalizedSqnr(r),
  };
}
