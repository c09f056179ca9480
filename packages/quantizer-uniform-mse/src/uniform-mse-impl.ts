/**
 * The MSE-optimal uniform quantizer for a Laplacian source (Perić et al., ITC 50(3) 2021 —
 * seeds 000/002; uniform-laplacian.md §1–4). Pure numeric code on typed arrays; the plugin
 * adapter is `uniform-mse-quantizer.ts`.
 *
 * The quantizer is the symmetric N = 2^R-level midrise design for a unit-variance Laplacian
 * (support ±x_max, step Δ = 2·x_max/N, levels ±(i − ½)Δ, 0 a threshold). Each group is mapped
 * into the design by x = w/σ_g and back by ŵ = σ_g·Q(x), exactly core's `grid` codebook
 * expression ŵ = fround(μ + σ·fround((q − N/2 + ½)·Δ)) with μ = 0:
 *   matched    — σ_g = RMS of the group (what a practitioner does);
 *   mismatched — σ_g = 1: raw weights into the σ = 1 design (paper 000's variance mismatch).
 * Codes are q = clamp(floor(x/Δ) + N/2, 0, N − 1): index k = floor(|x|/Δ) capped at N/2 − 1
 * plus a sign bit, with x = 0 on the level +Δ/2 (spec §1) — the same decision as core's
 * `requantizeValues`, so re-quantizing a decoded weight reproduces its code.
 */

import { FLT_MAX, codeArray, type CodeArray } from "@quantforge/core";

/**
 * How the elements of a tensor split into groups for the loops: one group, or index `c` of an
 * axis with the elements laid out `outer × channels × inner` (row-major).
 */
export type UniformMseLayout = { readonly kind: "tensor" } | { readonly kind: "channel"; readonly outer: number; readonly channels: number; readonly inner: number };

/** Largest finite float32 (core's; re-exported for this package's public API). */
export { FLT_MAX };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Number of groups of a layout. */
export function layoutGroupCount(layout: UniformMseLayout): number {
  return layout.kind === "tensor" ? 1 : layout.channels;
}

/**
 * RMS of every group, √(Σw²/n), in float64 (no mean removed: σ means the RMS, spec §4).
 * Empty groups get 0.
 */
export function groupRms(data: Float32Array, layout: UniformMseLayout): Float64Array {
  if (layout.kind === "tensor") {
    let s = 0;
    for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
    return Float64Array.of(data.length === 0 ? 0 : Math.sqrt(s / data.length));
  }
  const G = layoutGroupCount(layout);
  const sum = new Float64Array(G);
  const { outer, channels, inner } = layout;
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++, i++) s += data[i]! * data[i]!;
      sum[c]! += s;
    }
  }
  const n = outer * inner;
  for (let c = 0; c < G; c++) sum[c] = n === 0 ? 0 : Math.sqrt(sum[c]! / n);
  return sum;
}

/**
 * Stores σ as float32 so that the outermost level σ·fround((N/2 − ½)·Δ) stays a finite float32
 * (a tensor near ±3e38 with a small RMS would otherwise decode to ±Infinity). Returns the largest
 * float32 ≤ fround(σ) with that property; `capped` tells whether it had to shrink.
 */
export function storableSigma(sigma: number, outerLevel: number): { readonly sigma: number; readonly capped: boolean } {
  let s = Math.fround(sigma);
  if (s === Infinity) s = FLT_MAX;
  if (Number.isFinite(Math.fround(s * outerLevel))) return { sigma: s, capped: s !== Math.fround(sigma) };
  s = Math.fround(FLT_MAX / outerLevel);
  while (s > 0 && !Number.isFinite(Math.fround(s * outerLevel))) {
    f32[0] = s;
    u32[0]! -= 1; // next float32 below a positive float32
    s = f32[0]!;
  }
  return { sigma: s, capped: true };
}

/**
 * Codes of one run of elements sharing σ: q = clamp(floor(w·c) + N/2, 0, N − 1) with
 * c = 1/(σ·Δ), i.e. floor((w/σ)/Δ) up to one rounding (a value within an ulp of a cell boundary
 * is equally near both levels, so either code is a nearest level and re-quantizing its decoded
 * value returns it). σ = 0 ⇒ q = N/2 (the group is all zeros, or below float32 resolution, and
 * decodes to 0). Returns the number of elements beyond the support, |w/σ| > x_max = N·Δ/2.
 */
function encodeRun(data: Float32Array, from: number, to: number, s: number, half: number, step: number, out: CodeArray, midtread = false): number {
  // Midtread (N odd): q = round(x/Δ) + (N−1)/2, so the central cell [−Δ/2, Δ/2] maps to the
  // zero level; `half` is N/2 (not an integer) and the zero code is (N−1)/2.
  const zeroCode = midtread ? (2 * half - 1) / 2 : half;
  if (s === 0) {
    out.fill(zeroCode, from, to);
    return 0;
  }
  const c = 1 / (s * step);
  return midtread ? midtreadRun(data, from, to, c, half, zeroCode, out) : midriseRun(data, from, to, c, half, out);
}

// The two hot loops are separate monomorphic functions without a per-element branch on the
// variant; the clamp is Math.min/Math.max and the overload count integer compares, both
// branch-free (about 1.6× faster than the ternary clamp). Same codes: clamping the integer
// floor(t) + N/2 to [0, N − 1] is what the ternaries did.

/** Midrise codes q = clamp(floor(w·c) + N/2, 0, N − 1); returns the elements with |w·c| > N/2. */
function midriseRun(data: Float32Array, from: number, to: number, c: number, half: number, out: CodeArray): number {
  const top = 2 * half - 1,
    lo = -half;
  let overload = 0;
  for (let i = from; i < to; i++) {
    const t = data[i]! * c;
    overload += (t > half ? 1 : 0) | (t < lo ? 1 : 0);
    out[i] = Math.min(Math.max(Math.floor(t) + half, 0), top);
  }
  return overload;
}

/** Midtread codes q = clamp(round(w·c) + (N − 1)/2, 0, N − 1); returns the elements with |w·c| > N/2. */
function midtreadRun(data: Float32Array, from: number, to: number, c: number, half: number, zeroCode: number, out: CodeArray): number {
  const top = 2 * half - 1,
    lo = -half;
  let overload = 0;
  for (let i = from; i < to; i++) {
    const t = data[i]! * c;
    overload += (t > half ? 1 : 0) | (t < lo ? 1 : 0);
    out[i] = Math.min(Math.max(Math.round(t) + zeroCode, 0), top);
  }
  return overload;
}

/**
 * Codes of every element for per-group scales `sigma` (float32 values; one entry = shared) and
 * the σ = 1 design with N = `levels` and float32 step Δ (see {@link encodeRun}). Returns how many
 * elements fell in the overload region |x| > N·Δ/2.
 */
export function gridEncode(data: Float32Array, layout: UniformMseLayout, sigma: Float32Array, levels: number, step: number, out: CodeArray, midtread = false): number {
  const half = levels / 2;
  if (layout.kind === "tensor") return encodeRun(data, 0, data.length, sigma[0]!, half, step, out, midtread);
  const { outer, channels, inner } = layout;
  let overload = 0,
    i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i += inner) overload += encodeRun(data, i, i + inner, sigma[sigma.length === 1 ? 0 : c]!, half, step, out, midtread);
  }
  return overload;
}

/** Settings of one quantization. */
export interface UniformMseSpec {
  /** N = 2^bits levels. */
  readonly levels: number;
  /** x_max of the σ = 1 design (float64; stored as float32). */
  readonly xMax: number;
  /** `matched` scales by each group's RMS; `mismatched` uses σ = 1 (paper 000). */
  readonly mode: "matched" | "mismatched";
  /**
   * Midtread (N odd, 0 a level, the central cell [−Δ/2, Δ/2] → 0; core's grid expression with
   * c(q) = q − (N−1)/2) instead of the papers' midrise. Default false.
   */
  readonly midtread?: boolean;
}

/** Result of {@link uniformMseQuantize}. */
export interface UniformMseResult {
  /** In the narrowest array that holds the grid's codes (core's `codeArray`). */
  readonly codes: CodeArray;
  /** Float32 x_max stored in the codebook. */
  readonly xMax: number;
  /** Per-group σ (one entry in mismatched mode). */
  readonly sigma: Float32Array;
  /** Per-group μ (all 0). */
  readonly mu: Float32Array;
  /** Groups with σ = 0 (all zeros): every element decodes to exactly 0. */
  readonly zeroGroups: number;
  /** Groups whose σ was lowered so the outer level stays a finite float32. */
  readonly cappedGroups: number;
  /** Elements beyond the support (|w/σ_g| > x_max). */
  readonly overloadCount: number;
}

/** Quantizes one tensor's data with the σ = 1 design (see the module comment). */
export function uniformMseQuantize(data: Float32Array, layout: UniformMseLayout, spec: UniformMseSpec): UniformMseResult {
  const N = spec.levels;
  const xMax = Math.fround(spec.xMax);
  // Core's grid step (gridStep): Δ = fround(2·x_max/N), with x_max the stored float32 value.
  const step = Math.fround((2 * xMax) / N);
  const midtread = spec.midtread === true;
  const outerLevel = Math.fround((midtread ? (N - 1) / 2 : N / 2 - 0.5) * step);
  let sigma: Float32Array;
  let zeroGroups = 0,
    cappedGroups = 0;
  const effLayout: UniformMseLayout = spec.mode === "mismatched" ? { kind: "tensor" } : layout;
  if (spec.mode === "mismatched") {
    sigma = Float32Array.of(1);
  } else {
    const rms = groupRms(data, layout);
    sigma = new Float32Array(rms.length);
    for (let g = 0; g < rms.length; g++) {
      const r = storableSigma(rms[g]!, outerLevel);
      sigma[g] = r.sigma;
      if (r.capped) cappedGroups++;
      if (r.sigma === 0) zeroGroups++;
    }
  }
  const codes = codeArray(data.length, N);
  const overloadCount = gridEncode(data, effLayout, sigma, N, step, codes, midtread);
  return { codes, xMax, sigma, mu: new Float32Array(sigma.length), zeroGroups, cappedGroups, overloadCount };
}
