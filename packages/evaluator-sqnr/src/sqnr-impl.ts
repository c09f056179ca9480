import type { Metric } from "@quantforge/core";

/**
 * Sums of one comparison of original weights w with decoded weights ŵ, accumulated in float64
 * (float32 sums of 10^6 squares lose 3–4 significant digits; float64 keeps the SQNR exact to
 * far below 0.01 dB).
 */
export interface ErrorStats {
  /** Number of compared elements. */
  count: number;
  /** Σ w² (signal power × count). */
  signal: number;
  /** Σ (w − ŵ)² (noise power × count). */
  noise: number;
  /** max |w − ŵ|. */
  maxAbs: number;
}

/** Fresh, empty statistics. */
export function emptyStats(): ErrorStats {
  return { count: 0, signal: 0, noise: 0, maxAbs: 0 };
}

/**
 * Adds the comparison of `original` with `decoded` (same length) to `into`. One pass, no
 * allocation; w − ŵ of two float32 values is exact in float64.
 */
export function accumulateStats(into: ErrorStats, original: Float32Array, decoded: Float32Array): ErrorStats {
  const n = original.length;
  let signal = 0, noise = 0, maxAbs = into.maxAbs;
  for (let i = 0; i < n; i++) {
    const w = original[i]!;
    const e = w - decoded[i]!;
    signal += w * w;
    noise += e * e;
    const a = e < 0 ? -e : e;
    if (a > maxAbs) maxAbs = a;
  }
  into.count += n;
  into.signal += signal;
  into.noise += noise;
  into.maxAbs = maxAbs;
  return into;
}

/** Adds `b` to `a` (pooling per-tensor statistics into overall ones). */
export function mergeStats(a: ErrorStats, b: ErrorStats): ErrorStats {
  a.count += b.count;
  a.signal += b.signal;
  a.noise += b.noise;
  if (b.maxAbs > a.maxAbs) a.maxAbs = b.maxAbs;
  return a;
}

/**
 * SQNR in dB, 10·log10(Σw² / Σ(w − ŵ)²), or null with the reason it is undefined:
 * "empty tensor", "exact reconstruction" (no noise: the ratio would be +∞, which JSON cannot
 * carry) or "zero signal power" (Σw² = 0 with noise: the ratio would be 0, i.e. −∞ dB).
 */
export function sqnrDb(s: Readonly<ErrorStats>): { value: number | null; reason?: string; exact?: true } {
  if (s.count === 0) return { value: null, reason: "empty tensor" };
  if (s.noise === 0) return { value: null, reason: "exact reconstruction", exact: true };
  if (s.signal === 0) return { value: null, reason: "zero signal power" };
  return { value: 10 * Math.log10(s.signal / s.noise) };
}

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
    { name: "mse", value: s.noise / s.count, ...where, ...exact },
    { name: "maxAbsError", value: s.maxAbs, ...where, ...exact },
    { name: "sqnrDb", value: q.value, unit: "dB", ...where, ...(q.reason ? { reason: q.reason } : {}), ...exact },
  ];
}
