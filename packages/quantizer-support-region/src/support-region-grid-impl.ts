/** Float32 grid of the support-region quantizer: support clamping, storable x_max, levels and encoding (split from `support-region-impl.ts`, which re-exports it). */

import { FLT_MAX } from "@quantforge/core";

/**
 * Smallest support accepted, in units of σ (2^−20). A data-dependent choice can come out as 0
 * (e.g. the 50th percentile of a mostly-constant tensor); the step Δ = 2·x_max/N must stay a
 * positive normal float32, so x_max is raised to this floor (and the caller reports it).
 */
export const MIN_XMAX_SIGMA = 2 ** -20;

/**
 * Largest support accepted, in units of σ (2^40). Only `value:x` on a tensor with a tiny σ gets
 * near it (max|w − μ|/σ ≤ √(n − 1) < 2^16 for any float32 tensor of < 2^32 elements).
 */
export const MAX_XMAX_SIGMA = 2 ** 40;

/** Clamps a support (units of σ) into [{@link MIN_XMAX_SIGMA}, {@link MAX_XMAX_SIGMA}]. */
export function clampXMaxSigma(x: number): number {
  return x < MIN_XMAX_SIGMA || !(x === x) ? MIN_XMAX_SIGMA : x > MAX_XMAX_SIGMA ? MAX_XMAX_SIGMA : x;
}

/** The grid step core uses: Δ = fround(2·x_max/N) of the stored float32 x_max. */
function stepOf(xMaxF: number, levels: number): number {
  return Math.fround((2 * xMaxF) / levels);
}

/** Index offset of code 0: N/2 − ½ (midrise) or (N − 1)/2 (midtread), as in core's grid expression. */
function levelOffset(levels: number, midtread: boolean): number {
  return midtread ? (levels - 1) / 2 : levels / 2 - 0.5;
}

function outerFits(xMaxF: number, levels: number, muF: number, sigmaF: number, midtread = false): boolean {
  const outer = Math.fround(levelOffset(levels, midtread) * stepOf(xMaxF, levels));
  return Number.isFinite(Math.fround(muF + sigmaF * outer)) && Number.isFinite(Math.fround(muF - sigmaF * outer));
}

/**
 * The float32 x_max to store for a requested support: clamped to the accepted range, then
 * lowered when the outer levels μ ± σ·(N/2 − ½)·Δ would overflow float32 (weights near ±3e38),
 * so every level decodes to a finite value. `clamped` tells whether it differs from the request
 * by more than the float32 rounding.
 */
export function storableXMax(xMaxSigma: number, levels: number, muF: number, sigmaF: number, midtread = false): { readonly xMax: number; readonly clamped: boolean } {
  const x = clampXMaxSigma(xMaxSigma);
  let xf = Math.fround(x);
  let clamped = x !== xMaxSigma;
  if (sigmaF === 0 || outerFits(xf, levels, muF, sigmaF, midtread)) return { xMax: xf, clamped };
  clamped = true;
  // Largest outer level that stays finite is (FLT_MAX − |μ|)/σ; x_max = outer·(N/2)/offset.
  const half = levels / 2;
  const target = (((FLT_MAX - Math.abs(muF)) / sigmaF) * half) / levelOffset(levels, midtread);
  xf = Math.fround(Math.min(xf, target * (1 - 2 ** -20)));
  // fround may still round the product up past FLT_MAX: shrink until it fits (a few steps).
  for (let i = 0; i < 100_000 && !(xf > 0 && outerFits(xf, levels, muF, sigmaF, midtread)); i++) xf = Math.fround(xf * 0.999);
  return { xMax: xf, clamped };
}

/**
 * The decoded value of every code: core's grid expression
 * fround(μ + σ·fround((q − N/2 + ½)·Δ)) with the stored float32 parameters.
 */
export function gridLevels(levels: number, xMaxF: number, muF: number, sigmaF: number, midtread = false): Float32Array {
  const step = stepOf(xMaxF, levels);
  const off = levelOffset(levels, midtread);
  const lv = new Float32Array(levels);
  for (let q = 0; q < levels; q++) lv[q] = Math.fround(muF + sigmaF * Math.fround((q - off) * step));
  return lv;
}

/** What {@link gridEncode} measured. */
export interface GridEncodeStats {
  /** Σ (w − ŵ)² in float64, ŵ the float32 decoded value. */
  readonly error: number;
  /** Weights beyond the support, |w − μ|/σ > x_max. */
  readonly overload: number;
}

/**
 * Codes of `data` for the stored parameters (into `out` when given) and the exact squared error
 * of their decoded values. q = clamp(floor((w − μ)/(σΔ)) + N/2, 0, N − 1): index
 * k = floor(|x|/Δ) capped at N/2 − 1 plus a sign, with x = 0 on the level +Δ/2 (spec §1; no
 * `sign()` that returns 0). σ = 0 (a constant tensor) puts every weight on code N/2, which
 * decodes to μ exactly.
 */
export function gridEncode(data: Float32Array, levels: number, xMaxF: number, muF: number, sigmaF: number, out: Uint32Array | null, midtread = false): GridEncodeStats {
  const half = levels / 2,
    top = levels - 1;
  // Midtread (N odd): q = round(x/Δ) + (N − 1)/2, so |x| ≤ Δ/2 lands on the level μ exactly.
  const zero = midtread ? (levels - 1) / 2 : half;
  const lv = gridLevels(levels, xMaxF, muF, sigmaF, midtread);
  const step = stepOf(xMaxF, levels);
  const n = data.length;
  let error = 0,
    overload = 0;
  if (sigmaF === 0 || step === 0) {
    const v = lv[zero]!;
    if (out) out.fill(zero, 0, n);
    for (let i = 0; i < n; i++) {
      const e = data[i]! - v;
      error += e * e;
    }
    return { error, overload: 0 };
  }
  const inv = 1 / (sigmaF * step);
  for (let i = 0; i < n; i++) {
    const w = data[i]!;
    const t = (w - muF) * inv;
    let q = midtread ? Math.round(t) + zero : Math.floor(t) + half;
    q = q < 0 ? 0 : q > top ? top : q;
    if (out) out[i] = q;
    const e = w - lv[q]!;
    error += e * e;
    // Branch-free count of the overload region |x| > x_max (t beyond ±N/2 cells).
    overload += +(t > half || t < -half);
  }
  return { error, overload };
}
