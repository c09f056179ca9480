import { assertWeightSet, InvalidOptionsError, type WeightSet } from "@quantforge/core";
import { laplacianDistortion } from "@quantforge/theory-laplacian";
import { centerScale, clampXMaxSigma } from "./support-region-impl.js";
import { resolveSupport, type SupportData } from "./support-resolve.js";
import { formatSupportSpec, parseSupportSpec, supportNeedsWeights } from "./support-spec.js";

/** Largest bit rate of the theory table (the quantizer itself takes 2–4). */
export const THEORY_MAX_BITS = 16;

/** One row of {@link supportRegionTheory}. Key order is the CLI's JSON contract. */
export interface SupportRegionTheoryRow {
  readonly bits: number;
  /** The support choice, canonical form. */
  readonly support: string;
  /** x_max in units of σ. */
  readonly xMaxSigma: number;
  /** Exact Laplacian SQNR (dB) of the N = 2^bits midrise quantizer with that support, 10·log10(σ²/D). */
  readonly sqnrDb: number;
}

/** Input of {@link supportRegionTheory}. */
export interface SupportRegionTheoryOptions {
  /** Bit rates, each an integer in 1…{@link THEORY_MAX_BITS}. */
  readonly bits: readonly number[];
  /** Support choices as users write them (`optimal`, `sigma:3`, `percentile:99.9`, …). */
  readonly supports: readonly string[];
  /**
   * Weights for the data-dependent choices (`max`, `percentile`, `value`, `mse`), taken together
   * as in global scope: one μ, σ and |w − μ| over every tensor given (pass the selected tensors).
   */
  readonly weights?: WeightSet;
}

/** Parses a comma-separated list of support choices (`optimal,sigma:3,mse`). */
export function parseSupportList(spec: string): string[] {
  const items = spec.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw new InvalidOptionsError("support-region", "support", `"${spec}" is empty or has an empty item; list choices like optimal,sigma:3,mse`);
  return items.map((s) => formatSupportSpec(parseSupportSpec(s, "support")));
}

/**
 * The support-region theory table (uniform-laplacian.md §2, §5): for every bit rate and support
 * choice, x_max in units of σ and the exact Laplacian SQNR 10·log10(σ²/D(x_max)) of the σ = 1
 * design with that support (a zero-mean source; the mean-corrected value against Σw²,
 * 10·log10((σ² + μ²)/(σ²·D)), is what the experiment reports per tensor). Data-dependent choices
 * are taken on `weights` with the same μ, σ and float32 storage as the quantizer in global scope;
 * `mse` runs the quantizer's measured-MSE search on them.
 *
 * @throws {InvalidOptionsError} for a bad bit rate or choice, a data-dependent choice without
 *   weights, or weights with σ = 0 (all equal) for a data-dependent choice.
 * @throws {NonFiniteError} when the weights hold NaN or ±Inf.
 */
export function supportRegionTheory(o: SupportRegionTheoryOptions): SupportRegionTheoryRow[] {
  if (o.bits.length === 0) throw new InvalidOptionsError("support-region", "bits", "must list at least one bit rate");
  for (const b of o.bits) {
    if (!Number.isInteger(b) || b < 1 || b > THEORY_MAX_BITS) throw new InvalidOptionsError("support-region", "bits", `must be integers in 1…${THEORY_MAX_BITS} (got ${b})`);
  }
  const specs = o.supports.map((s) => parseSupportSpec(s, "support"));
  if (specs.length === 0) throw new InvalidOptionsError("support-region", "support", "must list at least one support choice");
  const needData = specs.filter(supportNeedsWeights).map(formatSupportSpec);
  if (!o.weights && needData.length > 0) {
    throw new InvalidOptionsError("support-region", "weights", `are needed by ${needData.join(", ")} (they depend on σ and |w − μ| of real weights); pass weights or leave those choices out`);
  }
  let data: SupportData | null = null;
  if (o.weights && needData.length > 0) {
    assertWeightSet(o.weights);
    const parts = o.weights.map((t) => t.data);
    const st = centerScale(parts);
    const sigma = Math.fround(st.sigma);
    if (sigma === 0) throw new InvalidOptionsError("support-region", "weights", `have σ = 0 (${st.count} weight(s), all equal), so max, percentile, value and mse are undefined; use other weights or design choices only`);
    data = { parts, mu: st.mu, sigma, maxDev: st.maxDev };
  }
  const rows: SupportRegionTheoryRow[] = [];
  for (const bits of o.bits) {
    for (const spec of specs) {
      const x = clampXMaxSigma(resolveSupport(spec, bits, data).xMaxSigma);
      rows.push({ bits, support: formatSupportSpec(spec), xMaxSigma: x, sqnrDb: laplacianDistortion(2 ** bits, x, 1).sqnrDb });
    }
  }
  return rows;
}

/** A fixed-width plain-text table of theory rows (the CLI's output without `--json`). */
export function formatSupportRegionTheory(rows: readonly SupportRegionTheoryRow[]): string {
  const head = ["bits", "support", "x_max/σ", "SQNR (dB)"];
  const body = rows.map((r) => [String(r.bits), r.support, r.xMaxSigma.toFixed(4), r.sqnrDb.toFixed(3)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n") + "\n";
}
