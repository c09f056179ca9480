import { roundHalfEven } from "@quantforge/core";
import { fromFloat16Bits, toFloat16Bits } from "@quantforge/core/format";

/**
 * tfjs-converter's weight quantization (`tensorflowjs/quantization.py`: `quantize_weights` and
 * `_get_affine_quantization_range`), re-implemented bit for bit.
 *
 * The converter pins NumPy 1.x, whose value-based casting makes the per-element arithmetic
 * float32 while the range is computed on float64 scalars:
 *
 *   min, max  = float64(data.min()), float64(data.max())
 *   scale     = (max − min) / qmax                                (float64)
 *   if min ≤ 0 ≤ max:                                             (nudge so 0 is a level)
 *     zp  = round_half_even(−min / scale)
 *     min = −zp·scale;  max = qmax·scale + min
 *   q = round_half_even((clip(x, f32(min), f32(max)) − f32(min)) / f32(scale))   (float32 ops)
 *
 * and a constant tensor (min = max) gets codes 0 with scale 1. `Math.fround` of a double
 * result reproduces a float32 operation exactly for −, / (double rounding is innocuous with
 * 53 ≥ 2·24 + 2 bits), so the codes are the converter's.
 */

/** NumPy's `np.round`/`rint` (core's one copy), re-exported where it always was. */
export { roundHalfEven } from "@quantforge/core";

/** The converter's float64 quantization range of one tensor. */
export interface TfjsAffineRange {
  /** (max − min) / qmax, float64. */
  readonly scale: number;
  /** Lower end of the (possibly nudged) range: what the converter stores as `min`. */
  readonly min: number;
  /** Upper end of the (possibly nudged) range. */
  readonly max: number;
  /** The integer code of 0 when the range was nudged (0 inside [min, max]); null otherwise. */
  readonly zeroPoint: number | null;
}

/**
 * `_get_affine_quantization_range`: the nudged range that makes 0 exactly a level when the data
 * cover 0 (TF-Lite's `NudgeQuantizationRange`, without nudging ranges that exclude 0).
 *
 * @param minVal - Data minimum (float64).
 * @param maxVal - Data maximum (float64), greater than `minVal`.
 * @param qmax - Largest code: 255 (uint8) or 65535 (uint16).
 */
export function tfjsAffineRange(minVal: number, maxVal: number, qmax: number): TfjsAffineRange {
  const scale = (maxVal - minVal) / qmax;
  if (minVal <= 0 && 0 <= maxVal) {
    const zp = roundHalfEven((0 - minVal) / scale);
    const nudgedMin = -zp * scale;
    return { scale, min: nudgedMin, max: qmax * scale + nudgedMin, zeroPoint: zp };
  }
  return { scale, min: minVal, max: maxVal, zeroPoint: null };
}

/** Result of {@link tfjsAffineQuantize}. */
export interface TfjsAffineResult {
  /** One code per element, 0 … qmax. */
  readonly codes: Uint32Array;
  /** qmax + 1. */
  readonly levels: number;
  /** float32 step of the affine codebook (`fround` of the converter's float64 scale). */
  readonly scale: number;
  /** float32 zero point: the converter's integer nudged zero point, or −min/scale unnudged. */
  readonly zeroPoint: number;
  /** The converter's own float64 metadata (`min`, `scale`), as it would write to model.json. */
  readonly converter: { readonly min: number; readonly scale: number };
  /** True for a constant (or empty) tensor: every code is 0. */
  readonly constant: boolean;
  /** True when the float32 step underflowed to 0 (range below float32 resolution). */
  readonly underflow: boolean;
}

/**
 * Quantizes one tensor exactly as tfjs-converter's `quantize_weights` with `uint8`/`uint16`.
 *
 * The codes are the converter's. The codebook is a float32 affine grid: `scale` is the
 * converter's scale rounded to float32 and `zeroPoint` its integer nudged zero point (so 0 stays
 * exactly a level), which reproduces the converter's float64 reconstruction `min + q·scale` to
 * within |q − zp| float32 rounding errors of the scale (below 2^-24·qmax of a step). Values the
 * float32 arithmetic overflows (|x − min| > 3.4e38) saturate at the top code, where the
 * converter's cast would wrap.
 *
 * @param data - The tensor's values (finite).
 * @param qmax - 255 for uint8, 65535 for uint16.
 */
export function tfjsAffineQuantize(data: Float32Array, qmax: number): TfjsAffineResult {
  const n = data.length;
  const codes = new Uint32Array(n);
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (n === 0) {
    lo = 0;
    hi = 0;
  }
  if (lo === hi) {
    // Converter: codes 0, scale 1, min = the value. fround((0 − (−v))·1) = v exactly.
    return { codes, levels: qmax + 1, scale: 1, zeroPoint: -lo + 0, converter: { min: lo, scale: 1 }, constant: true, underflow: false };
  }
  const r = tfjsAffineRange(lo, hi, qmax);
  const m32 = Math.fround(r.min),
    M32 = Math.fround(r.max),
    s32 = Math.fround(r.scale);
  const fround = Math.fround;
  for (let i = 0; i < n; i++) {
    let x = data[i]!;
    if (x < m32) x = m32;
    else if (x > M32) x = M32;
    let q = roundHalfEven(fround(fround(x - m32) / s32));
    if (!(q >= 0))
      q = 0; // −0 and float32 noise below the range
    else if (q > qmax) q = qmax; // float32 overflow to +Infinity saturates
    codes[i] = q;
  }
  const underflow = s32 === 0;
  let zeroPoint: number;
  if (r.zeroPoint !== null) zeroPoint = r.zeroPoint;
  else zeroPoint = underflow ? 0 : Math.fround(-r.min / s32);
  return { codes, levels: qmax + 1, scale: s32, zeroPoint, converter: { min: r.min, scale: r.scale }, constant: false, underflow };
}

/** Result of {@link tfjsFloat16Quantize}. */
export interface TfjsFloat16Result {
  /** Index of each element's half value in `levels`. */
  readonly codes: Uint32Array;
  /** The distinct half values used, ascending (each exactly a float16 value, widened to float32). */
  readonly levels: Float32Array;
  /** Elements beyond ±65 504 that float16 cannot hold (the converter would store ±Infinity). */
  readonly overflow: number;
}

/**
 * tfjs-converter's `float16` mode (`data.astype(np.float16)`: round to nearest, ties to even),
 * expressed as a `levels` codebook over the half values the tensor uses, ascending. A tfjs
 * writer recognises such a codebook (every level a half) and stores it as tfjs's own float16.
 *
 * Two deviations keep the weights usable and the codebook well defined: magnitudes that would
 * round to ±Infinity saturate at ±65 504 (counted in `overflow`), and −0 is stored as +0 (they
 * compute the same products and sums in a network).
 */
export function tfjsFloat16Quantize(data: Float32Array): TfjsFloat16Result {
  const n = data.length;
  const halves = new Uint16Array(n);
  const used = new Uint8Array(65536);
  let overflow = 0;
  for (let i = 0; i < n; i++) {
    let h = toFloat16Bits(data[i]!);
    if ((h & 0x7c00) === 0x7c00) {
      overflow++;
      h = (h & 0x8000) | 0x7bff;
    }
    if (h === 0x8000) h = 0;
    halves[i] = h;
    used[h] = 1;
  }
  // Ascending value order: negatives from the most negative (0xfbff) up to −smallest (0x8001),
  // then +0 … +65504 (0x0000 … 0x7bff).
  const index = new Int32Array(65536);
  const lv: number[] = [];
  for (let h = 0xfbff; h >= 0x8001; h--)
    if (used[h]) {
      index[h] = lv.length;
      lv.push(fromFloat16Bits(h));
    }
  for (let h = 0; h <= 0x7bff; h++)
    if (used[h]) {
      index[h] = lv.length;
      lv.push(fromFloat16Bits(h));
    }
  if (lv.length === 0) lv.push(0);
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = index[halves[i]!]!;
  return { codes, levels: Float32Array.from(lv), overflow };
}
