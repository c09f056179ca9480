/**
 * HQQ, Half-Quadratic Quantization (Badri & Shaji 2023, "Half-Quadratic Quantization of Large
 * Machine Learning Models", mobiusml blog/hqq), data-free. Pure numeric code; the plugin adapter is
 * `hqq-quantizer.ts`.
 *
 * Per group with min m and max M, the min/max grid is the start: s = (M − m)/(2^b − 1), z = −m/s.
 * HQQ keeps s and fits the (float) zero point z to minimise the sparsity-promoting ℓp error
 * ‖W − Q_z⁻¹(Q_z(W))‖_p^p (p < 1) by half-quadratic splitting with an auxiliary error W_e,
 * alternating (the reference's `optimize_weights_proximal_legacy`):
 *
 *   W_q = clamp(round(W/s + z), 0, 2^b − 1)                 (codes under the current z)
 *   W_r = (W_q − z)·s                                        (reconstruction)
 *   W_e = shrink_p(W − W_r, β),  shrink_p(x, β) = sign(x)·max(0, |x| − |x|^(p−1)/β)
 *                                                            (generalised soft-thresholding, eq. 5)
 *   z   = mean(W_q − (W − W_e)/s)                           (closed-form zero-point update, eq. 6)
 *   β  ← κ·β
 *
 * for `iterations` steps. Early stop (the reference's rule): stop when the mean |W − W_r| of the
 * group no longer decreases. Unlike the reference (which returns the codes of the step that got
 * worse with the zero point of the next), the best zero point seen is kept and the codes are the
 * nearest codes under it, so decoding and re-quantizing agree.
 */

/** Settings of the HQQ fit. */
export interface HqqSpec {
  readonly bits: number;
  readonly iterations: number;
  /** ℓp exponent, 0 < p ≤ 1 (p = 1: plain soft-thresholding). */
  readonly p: number;
  /** Initial β of the half-quadratic penalty. */
  readonly beta: number;
  /** β growth per step (κ > 1). */
  readonly kappa: number;
  readonly earlyStop: boolean;
}

import { FLT_MAX, codeArray, gridEndsFinite, ulp32, type CodeArray } from "@quantforge/core";

const fround = Math.fround;

/** sign(x)·max(0, |x| − |x|^(p−1)/β): the proximal step of the ℓp penalty (p = 1: soft-threshold at 1/β). */
export function shrinkLp(x: number, beta: number, p: number): number {
  const a = Math.abs(x);
  if (a === 0) return 0;
  const t = a - (p === 1 ? 1 : a ** (p - 1)) / beta;
  return t > 0 ? (x > 0 ? t : -t) : 0;
}

/** Mean |w − ŵ| of a group under the float32 grid (s, z), ŵ the decoded level of the nearest code. */
function meanAbsError(data: Float32Array, start: number, end: number, s: number, z: number, m: number): number {
  let e = 0;
  for (let i = start; i < end; i++) {
    const q = Math.min(m, Math.max(0, Math.round(data[i]! / s + z)));
    e += Math.abs(data[i]! - fround((q - z) * s));
  }
  return e / (end - start);
}

/**
 * Fits one group `data[start…end)`: returns its float32 scale and zero point in `out` and the
 * number of steps run.
 */
export function hqqGroup(data: Float32Array, start: number, end: number, spec: HqqSpec, out: Float64Array): number {
  const m = 2 ** spec.bits - 1;
  let lo = Infinity,
    hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo < hi)) {
    const c = lo === hi ? lo : 0;
    out[0] = c === 0 ? 1 : Math.abs(c);
    out[1] = c < 0 ? 1 : 0;
    return 0;
  }
  // The start grid is HQQ's own, not core's `encodeGrid`: it widens a short step by a relative
  // 2^-23 (1–2 ulps) where encodeGrid takes one ulp, and centres a grid whose ends overflow
  // instead of shrinking its step. Switching changes the stored (s, z) of 13.9 / 18.0 / 19.6 /
  // 20.7 % of groups at 2 / 3 / 4 / 8 bits (≈ 18 % overall; 50,000 N(0, σ²) groups of 64 per
  // width, σ = 10^U(−6, 2), default fit; codes change in ≤ 0.1 %), i.e. nearly every hqq .qf,
  // so it stays until a deliberate format change.
  let s = fround((hi - lo) / m);
  if (s === Infinity) s = FLT_MAX;
  if (s * m < hi - lo && s < FLT_MAX) s = fround(s * (1 + 2 ** -23));
  s = Math.max(s, 4 * ulp32(Math.max(-lo, hi)));
  let z = fround(-lo / s);
  if (!gridEndsFinite(s, z, m)) z = fround(m / 2 - (lo + hi) / (2 * s));
  let bestZ = z,
    best = meanAbsError(data, start, end, s, z, m);
  const n = end - start;
  let beta = spec.beta,
    steps = 0;
  for (let it = 0; it < spec.iterations; it++) {
    steps++;
    // One half-quadratic step from the current z: codes, reconstruction, shrunk error, new z.
    let acc = 0;
    for (let i = start; i < end; i++) {
      const w = data[i]!;
      const q = Math.min(m, Math.max(0, Math.round(w / s + z)));
      const we = shrinkLp(w - (q - z) * s, beta, spec.p);
      acc += q - (w - we) / s;
    }
    beta *= spec.kappa;
    const next = fround(acc / n);
    if (!Number.isFinite(next) || !gridEndsFinite(s, next, m)) break;
    z = next;
    const e = meanAbsError(data, start, end, s, z, m);
    if (e < best) {
      best = e;
      bestZ = z;
    } else if (spec.earlyStop) break;
  }
  out[0] = s;
  out[1] = bestZ + 0;
  return steps;
}

/** HQQ of a whole tensor in row-major groups of `groupSize`: codes and per-group grids. */
export function hqqQuantize(data: Float32Array, groupSize: number, spec: HqqSpec): { codes: CodeArray; scale: Float32Array; zeroPoint: Float32Array; levels: number; steps: number } {
  const groups = Math.max(1, Math.ceil(data.length / groupSize));
  const scale = new Float32Array(groups),
    zeroPoint = new Float32Array(groups);
  const m = 2 ** spec.bits - 1;
  const codes = codeArray(data.length, m + 1);
  const out = new Float64Array(2);
  let steps = 0;
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize,
      end = Math.min(data.length, start + groupSize);
    if (end <= start) {
      scale[g] = 1;
      zeroPoint[g] = 0;
      continue;
    }
    steps += hqqGroup(data, start, end, spec, out);
    const s = (scale[g] = out[0]!),
      z = (zeroPoint[g] = out[1]!);
    for (let i = start; i < end; i++) codes[i] = Math.min(m, Math.max(0, Math.round(data[i]! / s + z)));
  }
  return { codes, scale, zeroPoint, levels: m + 1, steps };
}
