/**
 * σ-normalised SQNR: every quantized tensor scaled to unit variance, so tensors of different
 * spread count alike. This is the quantity rate–distortion references for a unit-variance source
 * (e.g. the Shannon lower bound of a Laplacian) bound, unlike SQNR pooled over raw weights, which
 * large-σ layers dominate.
 */

/** A named float tensor (structurally core's `WeightTensor`). */
export interface NamedData {
  readonly name: string;
  readonly data: Float32Array;
}

/** What {@link normalizedSqnr} reads of a pipeline result (structurally core's `PipelineResult`). */
export interface NormalizedSqnrInput {
  readonly original: readonly NamedData[];
  readonly decoded: readonly NamedData[];
  /** Tensors the quantizer changed; the others are left out. */
  readonly quantizedNames: ReadonlySet<string>;
  /** Coded sizes; absent when no coder ran. */
  readonly encoded?: { readonly size: { readonly tensors: readonly { readonly name: string; readonly bytes: number }[] } };
}

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

/** Per-tensor and pooled σ-normalised SQNR with the rate of the normalised source. */
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

/** Population variance (mean removed) and MSE against `decoded`, in float64. */
export function varianceAndMse(w: Float32Array, d: Float32Array): { readonly variance: number; readonly mse: number } {
  const n = w.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += w[i]!;
  mean = n > 0 ? mean / n : 0;
  let v = 0,
    e = 0;
  for (let i = 0; i < n; i++) {
    const c = w[i]! - mean;
    const x = w[i]! - d[i]!;
    v += c * c;
    e += x * x;
  }
  return { variance: n > 0 ? v / n : 0, mse: n > 0 ? e / n : 0 };
}

/** Computes {@link NormalizedSqnr} of a pipeline result (float64 sums over the float32 data). */
export function normalizedSqnr(r: NormalizedSqnrInput): NormalizedSqnr {
  const decoded = new Map(r.decoded.map((t) => [t.name, t.data]));
  const sizes = new Map((r.encoded?.size.tensors ?? []).map((t) => [t.name, t.bytes]));
  const tensors: NormalizedTensorSqnr[] = [];
  let weighted = 0,
    counted = 0,
    bytes = 0,
    all = 0;
  for (const t of r.original) {
    if (!r.quantizedNames.has(t.name)) continue;
    const n = t.data.length;
    all += n;
    bytes += sizes.get(t.name) ?? 0;
    const { variance, mse } = varianceAndMse(t.data, decoded.get(t.name)!);
    const sigma = Math.sqrt(variance);
    if (variance === 0) {
      tensors.push({ name: t.name, count: n, sigma, sqnrDb: null, reason: n === 0 ? "empty tensor" : "zero variance" });
      continue;
    }
    weighted += (n * mse) / variance;
    counted += n;
    tensors.push(mse === 0 ? { name: t.name, count: n, sigma, sqnrDb: null, reason: "exact reconstruction" } : { name: t.name, count: n, sigma, sqnrDb: 10 * Math.log10(variance / mse) });
  }
  const bitsPerWeight = r.encoded && all > 0 ? (8 * bytes) / all : null;
  if (counted === 0) return { tensors, sqnrDb: null, reason: "no quantized tensor with nonzero variance", bitsPerWeight };
  if (weighted === 0) return { tensors, sqnrDb: null, reason: "exact reconstruction", bitsPerWeight };
  return { tensors, sqnrDb: -10 * Math.log10(weighted / counted), bitsPerWeight };
}
