/**
 * Exact widening of IEEE 754 binary16 (F16) and bfloat16 (BF16) to binary32.
 *
 * Both conversions are exact: every half and every bfloat16 value is representable in float32.
 * They work on bit patterns (through a `Uint32Array` view of the output), never through float
 * arithmetic, so signed zeros, subnormals, infinities and NaN payloads survive unchanged.
 */

let f16Table: Uint32Array | undefined;

/**
 * float32 bit pattern of the binary16 value with bits `h` (IEEE 754-2008 §3.4: sign 1, exponent 5
 * with bias 15, fraction 10). Subnormal halves (exponent 0) are renormalised into float32's wider
 * exponent range; exponent 31 keeps the fraction as the NaN payload.
 */
function f16Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0;
  if (exp === 0) {
    if (frac === 0) return sign >>> 0;
    // value = frac · 2^-24; shift the leading 1 into the hidden-bit position.
    let e = 113; // 127 − 15 + 1: exponent of 2^-14, the smallest normal half
    while ((frac & 0x400) === 0) {
      frac <<= 1;
      e--;
    }
    return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0; // rebias 15 → 127
}

/** The 65 536-entry bit-pattern table (256 KiB), built on first use. */
function table(): Uint32Array {
  if (f16Table === undefined) {
    const t = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = f16Bits(h);
    f16Table = t;
  }
  return f16Table;
}

/**
 * Converts one binary16 bit pattern to its (exact) number value.
 * @param h - 16-bit pattern, 0…65535.
 * @returns The value; NaN for NaN patterns (the payload is kept only by {@link decodeFloat16}).
 * @example float16BitsToFloat32(0x3c00) // 1
 */
export function float16BitsToFloat32(h: number): number {
  const u = new Uint32Array([f16Bits(h & 0xffff)]);
  return new Float32Array(u.buffer)[0]!;
}

/**
 * Converts one bfloat16 bit pattern (the top half of a float32) to its number value.
 * @param h - 16-bit pattern, 0…65535.
 * @returns The value.
 * @example bfloat16BitsToFloat32(0x3f80) // 1
 */
export function bfloat16BitsToFloat32(h: number): number {
  const u = new Uint32Array([(h & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0]!;
}

/**
 * Widens binary16 values to float32, bit-exactly (NaN payloads kept).
 * @param src - Half bit patterns in host order.
 * @param dst - Output; must have at least `src.length` elements.
 */
export function decodeFloat16(src: Uint16Array, dst: Float32Array): void {
  const t = table();
  const out = new Uint32Array(dst.buffer, dst.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
}

/**
 * Widens bfloat16 values to float32: a bfloat16 is the upper 16 bits of a float32, so the
 * conversion is a shift and is exact for every pattern.
 * @param src - bfloat16 bit patterns in host order.
 * @param dst - Output; must have at least `src.length` elements.
 */
export function decodeBfloat16(src: Uint16Array, dst: Float32Array): void {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
}

/**
 * Narrows float64 values to float32 with round-to-nearest-even (`Math.fround` semantics, which
 * a `Float32Array` store performs). Values beyond ±3.4028235e38 become ±Infinity.
 * @param src - float64 values.
 * @param dst - Output; must have at least `src.length` elements.
 */
export function decodeFloat64(src: Float64Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
}
