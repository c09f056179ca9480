import { InvalidOptionsError } from "@quantforge/core";
import { iterativeXMax, optimalXMax } from "@quantforge/theory-laplacian";
import { gridEncode, mseSearch, percentileSorted, prefixSums, sortedDeviations, storableXMax } from "./support-region-impl.js";
import { formatSupportSpec, type SupportSpec } from "./support-spec.js";

/**
 * How a support was obtained: a fixed `rule` (every choice but `mse`), or for `mse` the
 * candidate that won the final check on the stored float32 parameters — the `search` result,
 * or the `optimal` or `max` choice when the search could not beat it.
 */
export type SupportOrigin = "rule" | "search" | "optimal" | "max";

/** The weights a data-dependent choice is taken on, with their stored μ and σ (σ > 0). */
export interface SupportData {
  /** The weights (one tensor, or every tensor of a global scope). */
  readonly parts: readonly Float32Array[];
  /** Stored (float32) mean. */
  readonly mu: number;
  /** Stored (float32) standard deviation about `mu`; must be > 0. */
  readonly sigma: number;
  /** max |w − μ| over `parts`. */
  readonly maxDev: number;
}

/** A resolved support region. */
export interface ResolvedSupport {
  /** x_max in units of σ, before clamping and float32 storage. */
  readonly xMaxSigma: number;
  readonly origin: SupportOrigin;
  /** Candidate errors evaluated by the `mse` search (0 otherwise). */
  readonly evaluations: number;
}

/** Total Σ (w − ŵ)² of `parts` for a support, with the parameters as they would be stored. */
export function measuredError(parts: readonly Float32Array[], levels: number, xMaxSigma: number, mu: number, sigma: number): number {
  const xf = storableXMax(xMaxSigma, levels, mu, sigma).xMax;
  let e = 0;
  for (const p of parts) e += gridEncode(p, levels, xf, mu, sigma, null).error;
  return e;
}

/**
 * x_max in units of σ for a support choice at `bits` (uniform-laplacian.md §5); with
 * `opts.midtread` the optimal choice is the MSE-optimal midtread root (N = 2^bits − 1). Design choices
 * need no data; `max`, `percentile`, `value` and `mse` are taken on `data` (|w − μ| and σ as
 * stored). For `mse` the searched x_max is finally compared with `optimal` and `max` on the
 * actual quantizer (float32 parameters, decoded values), and the smallest error wins, so `mse`
 * is never worse than either in measured SQNR.
 *
 * @throws {InvalidOptionsError} when a data-dependent choice is asked for without data.
 */
export function resolveSupport(spec: SupportSpec, bits: number, data: SupportData | null, opts: { readonly midtread?: boolean } = {}): ResolvedSupport {
  const rule = (x: number): ResolvedSupport => ({ xMaxSigma: x, origin: "rule", evaluations: 0 });
  if (opts.midtread) {
    // The iterative rule and the sorted-deviation MSE search are derived for the midrise grid.
    if (spec.kind === "iterative" || spec.kind === "mse")
      throw new InvalidOptionsError("support-region", "supportRegion", `"${formatSupportSpec(spec)}" is defined for the midrise quantizer only; with midtread use optimal, max, sigma:<k>, percentile:<p> or value:<x>`);
    if (spec.kind === "optimal") return rule(optimalXMax(bits, { midtread: true }));
  }
  if (spec.kind === "optimal") return rule(optimalXMax(bits));
  if (spec.kind === "iterative") return rule(iterativeXMax(bits).xMax);
  if (spec.kind === "sigma") return rule(spec.k);
  if (!data) throw new InvalidOptionsError("support-region", "supportRegion", `"${formatSupportSpec(spec)}" depends on the weights (σ, |w − μ|) and none were given; pass weights or use optimal, iterative or sigma:<k>`);
  const { parts, mu, sigma } = data;
  if (spec.kind === "value") return rule(spec.x / sigma);
  if (spec.kind === "max") return rule(data.maxDev / sigma);
  if (spec.kind === "percentile") return rule(percentileSorted(sortedDeviations(parts, mu, sigma), spec.p));
  const levels = 2 ** bits;
  const opt = optimalXMax(bits),
    mx = data.maxDev / sigma;
  const s = mseSearch(prefixSums(sortedDeviations(parts, mu, sigma)), levels, [opt, iterativeXMax(bits).xMax, mx]);
  // The search works on float64 deviations; the shipped quantizer uses float32 μ, σ, x_max and
  // float32 levels. Decide on the latter so the guarantee holds for the measured SQNR.
  const candidates: readonly [SupportOrigin, number][] = [
    ["search", s.xMax],
    ["optimal", opt],
    ["max", mx],
  ];
  let best = candidates[0]!,
    bestErr = Infinity;
  for (const c of candidates) {
    const e = measuredError(parts, levels, c[1], mu, sigma);
    if (e < bestErr) {
      bestErr = e;
      best = c;
    }
  }
  return { xMaxSigma: best[1], origin: best[0], evaluations: s.evaluations + candidates.length };
}
