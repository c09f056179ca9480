import { InvalidOptionsError } from "@quantforge/core";

/**
 * A parsed support-region choice (uniform-laplacian.md §5). x_max is always expressed in units of
 * the σ the weights are normalised by (the standard deviation about μ):
 * - `optimal`: the MSE-optimal x_max of the σ = 1 Laplacian design (§3);
 * - `iterative`: paper 000's iterative rule (§3);
 * - `max`: max|w − μ| (naive min/max quantization);
 * - `sigma`: k·σ;
 * - `percentile`: the p-th percentile of |w − μ|;
 * - `value`: a user-given x_max in weight units (so x/σ in units of σ);
 * - `mse`: the x_max minimising the measured MSE on the weights themselves (beyond the paper).
 */
export type SupportSpec =
  | { readonly kind: "optimal" }
  | { readonly kind: "iterative" }
  | { readonly kind: "max" }
  | { readonly kind: "mse" }
  | { readonly kind: "sigma"; readonly k: number }
  | { readonly kind: "percentile"; readonly p: number }
  | { readonly kind: "value"; readonly x: number };

/** The kinds of {@link SupportSpec}. */
export type SupportKind = SupportSpec["kind"];

const ID = "support-region";

/** Syntax reminder used in error messages. */
export const SUPPORT_SYNTAX = "optimal | iterative | max | mse | sigma:<k> | percentile:<p> | value:<x>";

function num(s: string): number {
  // Number("") is 0 and Number(" 1") is 1: require a plain decimal/scientific literal.
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN;
}

/** The parsed choice, or the problem with `raw` as one phrase. */
function tryParse(raw: string): SupportSpec | string {
  if (raw === "optimal" || raw === "iterative" || raw === "max" || raw === "mse") return { kind: raw };
  const m = /^(sigma|percentile|value):(.*)$/.exec(raw);
  if (!m) return `"${raw}" is not a support-region choice; use ${SUPPORT_SYNTAX}`;
  const v = num(m[2]!);
  if (!Number.isFinite(v)) return `"${raw}" has "${m[2]}", which is not a finite number; use ${SUPPORT_SYNTAX}`;
  if (m[1] === "sigma") return v > 0 ? { kind: "sigma", k: v } : `"${raw}" needs k > 0 (x_max = k·σ)`;
  if (m[1] === "percentile") return v > 0 && v <= 100 ? { kind: "percentile", p: v } : `"${raw}" needs 0 < p ≤ 100`;
  return v > 0 ? { kind: "value", x: v } : `"${raw}" needs x > 0 (x_max in weight units)`;
}

/**
 * Parses a support-region choice as users write it (`optimal`, `sigma:3`, `percentile:99.9`,
 * `value:0.12`, …; case-sensitive, no spaces).
 *
 * @param raw - The choice.
 * @param field - The option name used in the error (default `supportRegion`).
 * @returns The parsed choice.
 * @throws {InvalidOptionsError} naming `field` when `raw` is not one of {@link SUPPORT_SYNTAX}, or
 *   when k ≤ 0, p ∉ (0, 100] or x ≤ 0 (or any of them is not a finite number).
 */
export function parseSupportSpec(raw: string, field = "supportRegion"): SupportSpec {
  const r = tryParse(raw);
  if (typeof r === "string") throw new InvalidOptionsError(ID, field, r);
  return r;
}

/** Why `raw` is not a valid support-region choice (one phrase), or null when it is one. */
export function supportSpecProblem(raw: string): string | null {
  const r = tryParse(raw);
  return typeof r === "string" ? r : null;
}

/** The canonical string of a choice (`sigma:3`, `percentile:99.9`, …); parses back to the same choice. */
export function formatSupportSpec(s: SupportSpec): string {
  switch (s.kind) {
    case "sigma":
      return `sigma:${s.k}`;
    case "percentile":
      return `percentile:${s.p}`;
    case "value":
      return `value:${s.x}`;
    default:
      return s.kind;
  }
}

/**
 * True when the choice depends on the weights (`max`, `percentile`, `mse`, and `value`, whose
 * x_max must be divided by the weights' σ); `optimal`, `iterative` and `sigma:k` do not.
 */
export function supportNeedsWeights(s: SupportSpec): boolean {
  return s.kind === "max" || s.kind === "percentile" || s.kind === "mse" || s.kind === "value";
}
