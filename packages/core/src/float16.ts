/**
 * IEEE 754 binary16 ("half", float16) conversions used by the model-format adapters (tfjs's
 * `float16` weight quantization, ONNX `FLOAT16` initializers) and the float16 baseline.
 *
 * Narrowing rounds to nearest, ties to even, on the bit patterns (no float arithmetic), exactly
 * as NumPy's `astype(np.float16)` and C's `(_Float16)` conversions do: magnitudes from 65 520
 * up become ±Infinity, magnitudes below 2^-25 become ±0, and NaN stays NaN (quiet).
 * Widening is exact (every half is a float32).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest finite half, 65 504. */
export const FLOAT16_MAX = 65504;

/**
 * The binary16 bit pattern nearest to `value` (rounded to float32 first, as a typed-array store
 * does), ties to even.
 *
 * @param value - Any number.
 * @returns A 16-bit pattern in 0…65535.
 * @example toFloat16Bits(1) // 0x3c00
 */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (quiet)
  const e = exp - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^-24 with m = (1.mant) · 2^(exp − 127 + 24).
    if (e < -10) return sign; // below half of the smallest subnormal → ±0
    const full = mant | 0x800000; // 24-bit significand with the hidden bit
    const shift = 14 - e; // bits dropped: 13 for the format plus (1 − e) for denormalisation
    const half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    // Ties to even; a carry into the exponent field is the correct rounding to the smallest normal.
    return sign | (half + (rem > mid || (rem === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and out of exponent 30 gives Inf: both correct.
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1) ? 1 : 0));
}

/**
 * The value of a binary16 bit pattern (exact).
 *
 * @param bits - A 16-bit pattern.
 * @returns The number it stands for (NaN for NaN patterns).
 * @example fromFloat16Bits(0x3c00) // 1
 */
export function fromFloat16Bits(bits: number): number {
  const h = bits & 0xffff;
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/**
 * Narrows float32 values to binary16 bit patterns (round to nearest, ties to even).
 *
 * @param src - Values.
 * @param dst - Output, at least `src.length` long.
 */
export function encodeFloat16(src: Float32Array, dst: Uint16Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = toFloat16Bits(src[i]!);
}

/**
 * Widens binary16 bit patterns to float32 (exact).
 *
 * @param src - Half bit patterns.
 * @param dst - Output, at least `src.length` long.
 */
export function decodeFloat16Bits(src: Uint16Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = fromFloat16Bits(src[i]!);
}
