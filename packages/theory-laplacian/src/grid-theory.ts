import type { GridCodebook } from "@quantforge/core";
import { gridStep } from "@quantforge/core";
import { laplacianDistortion } from "./design.js";

/** What {@link gridTheoryStats} looks at: one tensor quantized with a `grid` codebook. */
export interface GridTheoryInput {
  /** The original dense tensor values. */
  readonly original: Float32Array;
  /** The decoded dense values (for the measured error and the overload accounting); optional. */
  readonly decoded?: Float32Array;
  /** The grid codebook (σ = 1 design, per-group σ and μ). */
  readonly codebook: Pick<GridCodebook, "levels" | "xMax" | "midtread" | "sigma" | "mu">;
  /** Group index of every coded element (core `codedGroups`), or null when all share group 0. */
  readonly groups: Int32Array | null;
  /** Flat indices of the coded elements of a sparse tensor (others were pruned to 0). */
  readonly positions?: Uint32Array;
}

/**
 * Additive statistics of one or more grid-quantized tensors: Laplacian theory at each group's
 * actual spread next to the measured error. Sums combine across tensors with
 * {@link combineGridTheoryStats}.
 */
export interface GridTheoryStats {
  /** Elements (all, including pruned ones). */
  readonly count: number;
  /** Σ w² over all elements. */
  readonly signalEnergy: number;
  /** Σ over groups of n_g·σ_g²·D(ρ_g), ρ_g = RMS(w − μ_g)/σ_g (plus Σ w² of pruned elements). */
  readonly predictedError: number;
  /** The same with D_g only (no overload term). */
  readonly predictedGranularError: number;
  /** Coded elements with |w − μ_g|/σ_g beyond the support x_max (the overload region). */
  readonly overloadCount: number;
  /** Σ (w − ŵ)² over all elements; null without decoded values. */
  readonly measuredError: number | null;
  /** Σ (w − ŵ)² over the overload elements; null without decoded values. */
  readonly measuredOverloadError: number | null;
  /** max |w − μ_g| / RMS(w − μ_g) over groups with spread (the tails in units of their own σ). */
  readonly maxAbsOverSigma: number | null;
  /** min over groups of x_max·σ_g / RMS(w − μ_g): the support in units of the group's own σ. */
  readonly supportOverSigma: number | null;
}

/** A number or null with the reason (metrics never carry ±Infinity or NaN). */
export interface MaybeValue {
  readonly value: number | null;
  readonly reason?: string;
}

const ratioDb = (num: number, den: number, zeroDen: string): MaybeValue => {
  if (num === 0) return { value: null, reason: "zero signal power" };
  if (den === 0) return { value: null, reason: zeroDen };
  return { value: 10 * Math.log10(num / den) };
};

/**
 * Laplacian theory and overload accounting of one grid-quantized tensor. Each group is the σ = 1
 * design applied to x = (w − μ_g)/σ_g, i.e. to a source of standard deviation
 * ρ_g = RMS(w − μ_g)/σ_g: ρ = 1 in matched mode (σ_g = RMS) gives the design SQNR, σ_g = 1
 * (mismatched) gives paper 000's variance-mismatch formula, and a removed mean μ gives
 * 10·log10((σ² + μ²)/(σ²·D)) (uniform-laplacian.md §4). The step is the stored float32 one,
 * so the theory describes the quantizer that actually ran (support N·Δ/2).
 */
export function gridTheoryStats(input: GridTheoryInput): GridTheoryStats {
  const { original, decoded, codebook: cb, groups, positions } = input;
  const N = cb.levels;
  const step = gridStep(cb);
  const xMax = (N * step) / 2;
  const P = cb.sigma.length;
  const sqDev = new Float64Array(P),
    cnt = new Float64Array(P),
    maxDev = new Float64Array(P);
  let signal = 0,
    measured = 0,
    overloadErr = 0,
    overloadCount = 0,
    pruned = 0;
  const n = positions ? positions.length : original.length;
  for (let i = 0; i < original.length; i++) signal += original[i]! * original[i]!;
  if (decoded) for (let i = 0; i < original.length; i++) measured += (original[i]! - decoded[i]!) ** 2;
  if (positions) {
    // Pruned elements decode to exactly 0: their error is w², known without any model.
    pruned = signal;
    for (let k = 0; k < positions.length; k++) pruned -= original[positions[k]!]! ** 2;
    pruned = Math.max(0, pruned);
  }
  for (let k = 0; k < n; k++) {
    const i = positions ? positions[k]! : k;
    const g = groups === null || P === 1 ? 0 : groups[k]!;
    const s = cb.sigma[g]!,
      d = original[i]! - cb.mu[g]!;
    const a = Math.abs(d);
    sqDev[g]! += d * d;
    cnt[g]!++;
    if (a > maxDev[g]!) maxDev[g] = a;
    if (s > 0 && a / s > xMax) {
      overloadCount++;
      if (decoded) overloadErr += (original[i]! - decoded[i]!) ** 2;
    }
  }
  let predicted = pruned,
    granular = pruned,
    maxOver: number | null = null,
    support: number | null = null;
  for (let g = 0; g < P; g++) {
    if (cnt[g] === 0) continue;
    const s = cb.sigma[g]!;
    const rms = Math.sqrt(sqDev[g]! / cnt[g]!);
    if (rms > 0) {
      maxOver = Math.max(maxOver ?? 0, maxDev[g]! / rms);
      if (s > 0) support = Math.min(support ?? Infinity, (xMax * s) / rms);
    }
    if (s === 0) {
      // Every element decodes to μ_g exactly, so the error is known: Σ (w − μ_g)².
      predicted += sqDev[g]!;
      granular += sqDev[g]!;
      continue;
    }
    const rho = rms / s;
    let dg: number, dOver: number;
    if (rho > 0 && Number.isFinite(rho)) {
      const d = laplacianDistortion(N, xMax, rho, { midtread: cb.midtread });
      dg = d.granular;
      dOver = d.overload;
    } else {
      // A group sitting exactly on μ: midrise puts it on the level ±Δ/2, midtread on 0.
      dg = cb.midtread ? 0 : (step * step) / 4;
      dOver = 0;
    }
    const scale = cnt[g]! * s * s;
    predicted += scale * (dg + dOver);
    granular += scale * dg;
  }
  return {
    count: original.length,
    signalEnergy: signal,
    predictedError: predicted,
    predictedGranularError: granular,
    overloadCount,
    measuredError: decoded ? measured : null,
    measuredOverloadError: decoded ? overloadErr : null,
    maxAbsOverSigma: maxOver,
    supportOverSigma: support,
  };
}

/** Adds up the statistics of several tensors (for model-wide values). */
export function combineGridTheoryStats(list: readonly GridTheoryStats[]): GridTheoryStats {
  let count = 0,
    signal = 0,
    pred = 0,
    gran = 0,
    over = 0;
  let meas: number | null = 0,
    measOver: number | null = 0,
    maxOver: number | null = null,
    support: number | null = null;
  for (const s of list) {
    count += s.count;
    signal += s.signalEnergy;
    pred += s.predictedError;
    gran += s.predictedGranularError;
    over += s.overloadCount;
    meas = meas === null || s.measuredError === null ? null : meas + s.measuredError;
    measOver = measOver === null || s.measuredOverloadError === null ? null : measOver + s.measuredOverloadError;
    if (s.maxAbsOverSigma !== null) maxOver = Math.max(maxOver ?? 0, s.maxAbsOverSigma);
    if (s.supportOverSigma !== null) support = Math.min(support ?? Infinity, s.supportOverSigma);
  }
  return {
    count,
    signalEnergy: signal,
    predictedError: pred,
    predictedGranularError: gran,
    overloadCount: over,
    measuredError: meas,
    measuredOverloadError: measOver,
    maxAbsOverSigma: maxOver,
    supportOverSigma: support,
  };
}

/** The SQNR values and overload shares derived from {@link GridTheoryStats}. */
export interface GridTheorySummary {
  /** 10·log10(Σw² / predicted error): the Laplacian theory at the actual σ. */
  readonly sqnrTheoryDb: MaybeValue;
  /** The same with the granular distortion only. */
  readonly sqnrGranularDb: MaybeValue;
  /** Measured 10·log10(Σw² / Σ(w − ŵ)²). */
  readonly sqnrMeasuredDb: MaybeValue;
  /** Measured, leaving out the error of the overload elements. */
  readonly sqnrMeasuredGranularDb: MaybeValue;
  /** Share of the measured squared error coming from overload elements. */
  readonly overloadShare: MaybeValue;
}

/** SQNRs (theory, granular-only, measured, measured without overload) and the overload share. */
export function summarizeGridTheory(s: GridTheoryStats): GridTheorySummary {
  const noDecoded: MaybeValue = { value: null, reason: "no decoded values" };
  const exact = "exact reconstruction";
  return {
    sqnrTheoryDb: ratioDb(s.signalEnergy, s.predictedError, "exact reconstruction predicted"),
    sqnrGranularDb: ratioDb(s.signalEnergy, s.predictedGranularError, "exact reconstruction predicted"),
    sqnrMeasuredDb: s.measuredError === null ? noDecoded : ratioDb(s.signalEnergy, s.measuredError, exact),
    sqnrMeasuredGranularDb: s.measuredError === null ? noDecoded : ratioDb(s.signalEnergy, Math.max(0, s.measuredError - s.measuredOverloadError!), exact),
    overloadShare: s.measuredError === null ? noDecoded : s.measuredError === 0 ? { value: null, reason: exact } : { value: s.measuredOverloadError! / s.measuredError },
  };
}
