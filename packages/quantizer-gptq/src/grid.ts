/**
 * The affine grid of one group: core's `encodeGrid`, the formula rtn uses too
 * (`@quantforge/quantizer-rtn`, same option names and meaning), so GPTQ and rtn quantize onto the
 * same kind of grid and compare fairly. The group's min/max come from GPTQ's *current*
 * (error-updated, float64) values; `encodeGrid` rounds them to float32 and clamps them to the
 * float32 range. The stored grid is float32 and dequantizes as core's affine expression
 * fround((q − z)·s).
 */

import { encodeGrid, gridLevels as levelsOf, type AffineGridSpec } from "@quantforge/core";

/** Settings of the grid (rtn's option names). */
export type GridSpec = AffineGridSpec;

/** Number of codes of the grid. */
export function gridLevels(spec: GridSpec): number {
  return levelsOf(spec.bits, spec.scheme);
}

/**
 * Float32 scale and zero point of one group with extremes `lo ≤ hi` (core's `encodeGrid`).
 * Writes them to `out[0]`, `out[1]`.
 */
export function gridParams(lo: number, hi: number, spec: GridSpec, out: Float64Array): void {
  encodeGrid(lo, hi, spec, out);
}

/** Nearest code of `w` on the grid (s, z): clamp(round(w/s + z), 0, L − 1), ties up (core's requantize rule). */
export function nearestCode(w: number, s: number, z: number, maxCode: number): number {
  const q = Math.round(w / s + z);
  return q < 0 ? 0 : q > maxCode ? maxCode : q;
}
