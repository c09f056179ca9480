/**
 * Logarithmic (power-of-two) quantization, after Miyashita, Lee & Murmann, "Convolutional Neural
 * Networks using Logarithmic Data Representation" (arXiv:1603.01025, 2016), eq. 3:
 *   LogQuant(x) = sign(x) · top · B^(−j),  j ∈ {0, …, M − 1},  or 0,
 * with base B = 2 (multiplications become shifts) or B = √2 (their finer "log√2" variant).
 * Pure numeric code on typed arrays: no allocation per element.
 */

const fround = Math.fround;

/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;

/** Log base: 2, or √2 for twice the resolution at half the dynamic range. */
export type Log2Base = 2 | "sqrt2";
/** How the top level is chosen: the tensor's max |x| itself, or the power of B that max |x| rounds to. */
export type Log2Scale = "absmax" | "pow2";
/** Rounding: to the nearest level (least squared error), or in the log domain (the paper's Round(log_B |x|)). */
export type Log2Rounding = "nearest" | "log";

/** What {@link log2Quantize} needs. */
export interface Log2Params {
  /** Bits per code, 2–8: 2^(b−1) − 1 magnitudes per sign plus 0, i.e. 2^b − 1 levels. */
  readonly bits: number;
  readonly base: Log2Base;
  readonly scale: Log2Scale;
  readonly rounding: Log2Rounding;
}

/** Codes, their levels, and counts for diagnostics. */
export interface Log2Result {
  /** Levels in ascending order: −top, …, −top·B^−(M−1), 0, top·B^−(M−1), …, top. */
  readonly levels: Float32Array;
  /** One code per value; `levels[code]` is its reconstruction. */
  readonly codes: Uint32Array;
  /** The top level (float32). */
  readonly top: number;
  /** Non-zero values that became 0 (below the smallest level's threshold). */
  readonly underflow: number;
}

/** The base as a number. */
export function baseValue(base: Log2Base): number {
  return base === 2 ? 2 : Math.SQRT2;
}

/** Number of magnitudes per sign: M = 2^(b−1) − 1. */
export function magnitudeCount(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/**
 * The exponent F of the power B^F that `m` (> 0) quantizes to under `rounding`, clamped so that
 * B^F is a finite float32 ≥ the smallest subnormal: nearest ⇒ ½(1 + 1/B)·B^F ≤ m < ½(1 + 1/B)·B^(F+1)
 * (the midpoints to the neighbouring powers), log ⇒ B^(F−½) ≤ m < B^(F+½).
 */
export function topExponent(m: number, base: Log2Base, rounding: Log2Rounding): number {
  const B = baseValue(base);
  const lnB = Math.log(B);
  const t = rounding === "nearest" ? (1 + 1 / B) / 2 : 1 / Math.sqrt(B);
  let F = Math.floor(Math.log(m / t) / lnB);
  // log() is not exact: nudge F until m sits in its cell.
  while (m >= t * B ** (F + 1)) F++;
  while (m < t * B ** F) F--;
  const maxF = Math.floor(Math.log(FLT_MAX) / lnB);
  const minF = Math.ceil(Math.log(2 ** -149) / lnB);
  return Math.min(maxF, Math.max(minF, F));
}

/** B^e as float32 (√2^e computed as 2^(e/2), exact for even e). */
export function powerOf(base: Log2Base, e: number): number {
  return fround(base === 2 ? 2 ** e : 2 ** (e / 2));
}

/**
 * The levels for a top level: ascending, with +0 in the middle. A level that underflows to zero
 * is stored as +0 (never −0), so equal levels also have equal bits.
 */
export function log2Levels(top: number, bits: number, base: Log2Base): Float32Array {
  const M = magnitudeCount(bits);
  const levels = new Float32Array(2 * M + 1);
  for (let j = 0; j < M; j++) {
    // top·B^−j: exact for B = 2 (a power-of-two scaling) unless it underflows.
    const mag = fround(top * (base === 2 ? 2 ** -j : 2 ** (-j / 2)));
    levels[M + M - j] = mag;
    levels[j] = mag === 0 ? 0 : -mag;
  }
  return levels;
}

/** Largest |x| (0 for an empty array). */
export function absMax(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m) m = a;
  }
  return m;
}

/** The levels of `top` ({@link log2Levels}) and the thresholds between consecutive magnitudes. */
function levelSet(top: number, M: number, p: Log2Params): { top: number; levels: Float32Array; thr: Float64Array } {
  const levels = log2Levels(top, p.bits, p.base);
  // mags[k], k = 0…M, ascending: 0, top·B^−(M−1), …, top; thr[k] separates mags[k] and mags[k+1].
  const mags = new Float64Array(M + 1);
  for (let k = 1; k <= M; k++) mags[k] = levels[M + k]!;
  const thr = new Float64Array(M);
  for (let k = 0; k < M; k++) thr[k] = k === 0 || p.rounding === "nearest" ? (mags[k]! + mags[k + 1]!) / 2 : Math.sqrt(mags[k]! * mags[k + 1]!);
  return { top, levels, thr };
}

/**
 * Quantizes `data` with one set of levels: the top level from max |x| (`absmax`) or the power of
 * B it rounds to (`pow2`), then each value to a level by `rounding`. Thresholds between magnitudes
 * are the midpoints (`nearest`) or the geometric means (`log`); between 0 and the smallest
 * magnitude it is always half that magnitude (the geometric mean with 0 would be 0).
 * Idempotent: quantizing the reconstruction again gives the same levels and codes.
 */
export function log2Quantize(data: Float32Array, p: Log2Params): Log2Result {
  const M = magnitudeCount(p.bits);
  const m = absMax(data);
  let F = m === 0 || p.scale === "absmax" ? 0 : topExponent(m, p.base, p.rounding);
  let { top, levels, thr } = levelSet(m === 0 ? 1 : p.scale === "absmax" ? fround(m) : powerOf(p.base, F), M, p);
  // Subnormal levels are rounded to multiples of 2^−149, which can put the threshold below the
  // top level above max |x| (√2-spaced levels near 4e−44): max |x| would then decode to a lower
  // level, and quantizing the reconstruction would pick another top (not idempotent). The top
  // steps down to the power max |x| does reach; elsewhere the exponent rule already guarantees it.
  while (p.scale === "pow2" && m > 0 && m < thr[M - 1]!) ({ top, levels, thr } = levelSet(powerOf(p.base, --F), M, p));
  const canon = canonicalSlots(levels, M);
  const codes = new Uint32Array(data.length);
  let underflow = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    const a = Math.abs(x);
    if (a === 0) {
      codes[i] = M;
      continue;
    }
    // k = number of thresholds ≤ |x| (binary search: thresholds ascend).
    let lo = 0,
      hi = M;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (thr[mid]! <= a) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) underflow++;
    if (canon !== null) lo = canon[lo]!;
    codes[i] = lo === 0 ? M : x < 0 ? M - lo : M + lo;
  }
  return { levels, codes, top, underflow };
}

/**
 * For each magnitude slot 0…M, the lowest slot of the same level, or null when every level
 * differs. Subnormal √2 levels round to multiples of 2^−149, and two slots can then hold one
 * value (3·2^−149 at 3 bits: top/√2 and top/2 both round to 2·2^−149): a value equal to that
 * level must get one code whichever slot its threshold search ends in, or quantizing the
 * reconstruction would change codes without changing values (not idempotent).
 */
function canonicalSlots(levels: Float32Array, M: number): Uint8Array | null {
  let canon: Uint8Array | null = null;
  for (let k = 2; k <= M; k++) {
    if (levels[M + k] !== levels[M + k - 1]) continue;
    canon ??= Uint8Array.from({ length: M + 1 }, (_, j) => j);
    canon[k] = canon[k - 1]!;
  }
  return canon;
}
