/**
 * The affine grid of one group, with rtn's definitions (`@quantforge/quantizer-rtn`, same option
 * names and meaning) so that GPTQ and rtn quantize onto the same kind of grid and compare fairly:
 *
 *   asymmetric: L = 2^b, s = (M − m)/(2^b − 1); zero `exact` and m ≤ 0 ≤ M: z = round_half_even(−m/s)
 *     (0 is exactly a level); otherwise z = fround(−m/s) with s ≥ 4 float32 ulps of max(|m|, |M|)
 *     so decoded levels stay distinct.
 *   symmetric: L = 2^b − 1, s = max|w|/(2^(b−1) − 1), z = 2^(b−1) − 1.
 *   constant group c: s = |c| (1 for c = 0), z one step from c, so c is reconstructed exactly.
 *
 * The group's min/max come from GPTQ's *current* (error-updated, float64) values, clamped to the
 * float32 range. The stored grid is float32 and dequantizes as core's affine expression
 * fround((q − z)·s).
 */

/** Settings of the grid (rtn's option names). */
export interface GridSpec {
  readonly bits: number;
  readonly scheme: "asymmetric" | "symmetric";
  readonly zero: "exact" | "free";
}

/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;
const fround = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function ulp32(x: number): number {
  f32[0] = x;
  const e = (u32[0]! >>> 23) & 0xff;
  return e === 0 ? 2 ** -149 : 2 ** (e - 150);
}

function nextUp32(x: number): number {
  f32[0] = x;
  u32[0]! += 1;
  return f32[0]!;
}

function nextDown32(x: number): number {
  f32[0] = x;
  u32[0]! -= 1;
  return f32[0]!;
}

/** numpy's round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Number of codes of the grid. */
export function gridLevels(spec: GridSpec): number {
  return spec.scheme === "symmetric" ? 2 ** spec.bits - 1 : 2 ** spec.bits;
}

function endsFinite(s: number, z: number, m: number): boolean {
  return Math.abs(fround((0 - z) * s)) <= FLT_MAX && Math.abs(fround((m - z) * s)) <= FLT_MAX;
}

/** Float32 step covering `range` in `steps` steps (one ulp up when rounding fell short), ≤ FLT_MAX. */
function gridScale(range: number, steps: number): number {
  let s = fround(range / steps);
  if (s === Infinity) return FLT_MAX;
  if (s * steps < range && s < FLT_MAX) s = nextUp32(s);
  return s;
}

/**
 * Float32 scale and zero point of one group with extremes `lo ≤ hi` (see the module comment).
 * Writes them to `out[0]`, `out[1]`.
 */
export function gridParams(lo: number, hi: number, spec: GridSpec, out: Float64Array): void {
  lo = Math.max(-FLT_MAX, Math.min(FLT_MAX, fround(lo)));
  hi = Math.max(-FLT_MAX, Math.min(FLT_MAX, fround(hi)));
  const levels = gridLevels(spec), m = levels - 1;
  const symmetric = spec.scheme === "symmetric";
  const zc = symmetric ? m / 2 : 0;
  if (!(lo < hi)) {
    const c = lo === hi ? lo : 0;
    out[0] = c === 0 ? 1 : Math.abs(c);
    out[1] = symmetric ? zc : c < 0 ? 1 : 0;
    return;
  }
  let s: number, z: number;
  const exact = !symmetric && spec.zero === "exact" && lo <= 0 && hi >= 0;
  if (symmetric) {
    s = gridScale(Math.max(-lo, hi), zc);
    z = zc;
  } else {
    s = gridScale(hi - lo, m);
    if (s * m < hi - lo) z = exact ? Math.min(m, Math.max(0, roundHalfEven(m / 2 - (lo + hi) / (2 * s)))) : fround(m / 2 - (lo + hi) / (2 * s));
    else if (exact) z = roundHalfEven(-lo / s);
    else {
      s = Math.max(s, 4 * ulp32(Math.max(-lo, hi)));
      z = fround(-lo / s);
    }
  }
  if (!endsFinite(s, z, m)) {
    const floating = !symmetric && !exact;
    s = Math.min(s, fround(FLT_MAX / Math.max(Math.abs(z), Math.abs(m - z))));
    if (floating) z = fround(-lo / s);
    for (let k = 0; k < 8 && !endsFinite(s, z, m); k++) {
      s = nextDown32(s);
      if (floating) z = fround(-lo / s);
    }
  }
  out[0] = s;
  out[1] = z + 0;
}

/** Nearest code of `w` on the grid (s, z): clamp(round(w/s + z), 0, L − 1), ties up (core's requantize rule). */
export function nearestCode(w: number, s: number, z: number, maxCode: number): number {
  const q = Math.round(w / s + z);
  return q < 0 ? 0 : q > maxCode ? maxCode : q;
}
