/**
 * The affine min/max grid of one group, shared by every quantizer that rounds onto an `affine`
 * codebook from a group's extremes (rtn, gptq): one formula, so their grids are the same and
 * compare fairly. A group with minimum m and maximum M gets codes q ∈ {0 … L−1} reconstructed by
 * core's affine expression ŵ = fround((q − z)·s):
 *
 *   asymmetric: L = 2^b, s = (M − m)/(2^b − 1)
 *     zero "exact" (tfjs-converter `_get_affine_quantization_range`, after TFLite's
 *       `NudgeQuantizationRange`): when m ≤ 0 ≤ M, z = round(−m/s) (numpy's half-to-even), so 0
 *       is exactly the level of code z and data are clipped to the grid; when 0 is outside
 *       [m, M] nothing is nudged and the grid starts at m (z = −m/s).
 *     zero "free": the plain grid starting at m, z = fround(−m/s).
 *     A grid that does not contain 0 uses a step of at least 4 float32 ulps of max(|m|, |M|), so
 *     decoded levels stay distinct.
 *   symmetric: L = 2^b − 1, s = max|w|/(2^(b−1) − 1), z = 2^(b−1) − 1.
 *   constant group c (m = M, or an empty group): s = |c| (1 for c = 0), z one step from c, so c
 *     is reconstructed exactly and 0 stays a level.
 */

/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;

/** Affine scheme: an asymmetric min/max grid or a grid symmetric around 0. */
export type GridScheme = "asymmetric" | "symmetric";
/** How the zero point of an asymmetric grid is chosen (see the module comment). */
export type GridZero = "exact" | "free";

/** Settings of an affine min/max grid. */
export interface AffineGridSpec {
  /** Bits per code, 1–16 (symmetric needs ≥ 2). */
  readonly bits: number;
  readonly scheme: GridScheme;
  readonly zero: GridZero;
}

/** What {@link encodeGrid} found about a group besides its scale and zero point. */
export const GridFit = Object.freeze({
  /** An ordinary group: the grid covers [m, M] to within half a step. */
  ok: 0,
  /** All values equal (incl. single-element and empty groups): stored exactly. */
  constant: 1,
  /**
   * The float32 grid cannot cover [m, M] to within s/2 (ranges at the edge of float32, e.g. a
   * 1-bit grid over more than FLT_MAX): the ends are clipped.
   */
  clipped: 2,
});
/** One of the {@link GridFit} values. */
export type GridFit = (typeof GridFit)[keyof typeof GridFit];

const fround = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function nextUp32(x: number): number {
  f32[0] = x;
  u32[0]! += 1;
  return f32[0];
}

function nextDown32(x: number): number {
  f32[0] = x;
  u32[0]! -= 1;
  return f32[0];
}

/** Distance from a positive float32 `x` to the next float32 (2^−149 for subnormals). */
export function ulp32(x: number): number {
  f32[0] = x;
  const e = (u32[0]! >>> 23) & 0xff;
  return e === 0 ? 2 ** -149 : 2 ** (e - 150);
}

/** numpy's `np.round`: round half to even (tfjs-converter rounds the zero point with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Number of codes of an affine grid: 2^b (asymmetric) or 2^b − 1 (symmetric). */
export function gridLevels(bits: number, scheme: GridScheme): number {
  return scheme === "symmetric" ? 2 ** bits - 1 : 2 ** bits;
}

/** True when the first and last level of the grid (codes 0 and m) are finite float32 values. */
export function gridEndsFinite(s: number, z: number, m: number): boolean {
  return Math.abs(fround((0 - z) * s)) <= FLT_MAX && Math.abs(fround((m - z) * s)) <= FLT_MAX;
}

/**
 * Float32 step for a grid of `steps` steps over `range`: the nearest float32, moved up one ulp
 * when rounding made the grid too short (matters for subnormal steps, where one ulp is a large
 * fraction of the step), capped at FLT_MAX.
 */
function gridScale(range: number, steps: number): number {
  let s = fround(range / steps);
  if (s === Infinity) return FLT_MAX;
  if (s * steps < range && s < FLT_MAX) s = nextUp32(s);
  return s;
}

/**
 * Float32 scale and zero point of one group with extremes `lo`, `hi` (see the module comment):
 * writes s to `out[0]` and z to `out[1]`. The extremes are rounded to float32 and clamped to
 * ±FLT_MAX first (so float64 values, e.g. GPTQ's error-updated weights, work too); `lo > hi`
 * (an empty group) is the constant 0. Allocates nothing: it runs once per group.
 *
 * @returns {@link GridFit}: whether the group was constant or its ends clipped.
 */
export function encodeGrid(lo: number, hi: number, spec: AffineGridSpec, out: Float64Array): GridFit {
  lo = Math.max(-FLT_MAX, Math.min(FLT_MAX, fround(lo)));
  hi = Math.max(-FLT_MAX, Math.min(FLT_MAX, fround(hi)));
  const m = gridLevels(spec.bits, spec.scheme) - 1;
  const symmetric = spec.scheme === "symmetric";
  const zc = symmetric ? m / 2 : 0;
  if (!(lo < hi)) {
    // c one step from the zero point: ŵ = (q − z)·|c| = c exactly, and 0 stays a level.
    const c = lo === hi ? lo : 0;
    out[0] = c === 0 ? 1 : Math.abs(c);
    out[1] = symmetric ? zc : c < 0 ? 1 : 0;
    return GridFit.constant;
  }
  let s: number, z: number;
  const exact = !symmetric && spec.zero === "exact" && lo <= 0 && hi >= 0;
  if (symmetric) {
    s = gridScale(Math.max(-lo, hi), zc);
    z = zc;
  } else {
    s = gridScale(hi - lo, m);
    if (s * m < hi - lo) {
      // The range exceeds what a float32 step can span (1 bit over > FLT_MAX): centre the grid.
      z = exact ? Math.min(m, Math.max(0, roundHalfEven(m / 2 - (lo + hi) / (2 * s)))) : fround(m / 2 - (lo + hi) / (2 * s));
    } else if (exact) {
      // tfjs-converter's nudge: an integral zero point so that 0 is exactly the level of code z.
      z = roundHalfEven(-lo / s);
    } else {
      // A grid away from 0 has its origin −z·s far from its levels. When the step is below a few
      // float32 ulps of the weights, neighbouring levels round to the same float32 value (codes
      // would not survive decoding) and z itself exceeds float32 precision. A step of at least
      // 4 ulps keeps decoded levels distinct and |z| ≤ 2^22.
      s = Math.max(s, 4 * ulp32(Math.max(-lo, hi)));
      z = fround(-lo / s);
    }
  }
  if (!gridEndsFinite(s, z, m)) {
    // Ranges next to ±FLT_MAX: the ends of the grid must stay finite float32 values, so the step
    // shrinks until the longer side fits (the other end is then clipped, and reported).
    const floating = !symmetric && !exact;
    s = Math.min(s, fround(FLT_MAX / Math.max(Math.abs(z), Math.abs(m - z))));
    if (floating) z = fround(-lo / s);
    for (let k = 0; k < 8 && !gridEndsFinite(s, z, m); k++) {
      s = nextDown32(s);
      if (floating) z = fround(-lo / s);
    }
  }
  out[0] = s;
  out[1] = z + 0; // + 0 turns −0 (from −0/s) into +0: stored parameters stay canonical
  // Clipped beyond half a step (+ the float32 rounding of the end levels, ≤ 2^-23 relative)?
  const slack = s / 2 + (Math.abs(lo) + Math.abs(hi)) * 2 ** -23;
  return fround((0 - z) * s) - lo > slack || hi - fround((m - z) * s) > slack ? GridFit.clipped : GridFit.ok;
}
