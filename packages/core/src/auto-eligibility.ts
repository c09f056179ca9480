/**
 * How a quantizer offers itself to meta-quantizers that choose among the registered quantizers
 * (`auto`): which option sets to try and at which widths, where it stands in the candidate order,
 * and which of its option sets are expensive. The quantizer declares it on its descriptor
 * (`defineQuantizer({ …, auto: { … } })`), so a meta-quantizer hard-codes no ids and a
 * third-party quantizer loaded with `--plugin` takes part by declaring it too.
 */

/** One option set offered as a candidate; `bits` is swept by the meta-quantizer, not given here. */
export interface AutoCandidateSpec {
  /** Options of the quantizer (validated by its `parseOptions` with `bits` added). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Widths this option set is tried at. @default the meta-quantizer's default widths (auto: 2–8) */
  readonly bits?: readonly number[];
}

/** A quantizer's declaration that meta-quantizers (`auto`) may use it as a candidate. */
export interface AutoEligibility {
  /**
   * Option sets tried by default. A quantizer with none here is still usable when a user lists
   * it explicitly (auto's `candidates` option).
   */
  readonly candidates?: readonly AutoCandidateSpec[];
  /**
   * Option sets offered on request only (auto's `fieldCandidates`): methods that pay off on
   * some models but, tried on every tensor by default, would take time from the rest.
   */
  readonly optIn?: readonly AutoCandidateSpec[];
  /**
   * Position of this quantizer's candidates among all eligible quantizers': lower first, ties by
   * id. The order decides between candidates that measure exactly alike, so it is part of the
   * result: give a fixed number. @default 100
   */
  readonly order?: number;
  /**
   * True when a candidate with these options costs about 20× a rounding grid per weight
   * (k-means, a grid search); auto's cost model then plans fewer forward passes for it.
   * @default every option set is cheap
   */
  costly?(options: Readonly<Record<string, unknown>>): boolean;
}

/** Default {@link AutoEligibility.order}. */
export const DEFAULT_AUTO_ORDER = 100;

/** Why `auto` is not a well-formed {@link AutoEligibility}, or undefined when it is. */
export function autoEligibilityProblem(auto: unknown): string | undefined {
  if (typeof auto !== "object" || auto === null) return "must be an object";
  const a = auto as Record<string, unknown>;
  for (const key of ["candidates", "optIn"] as const) {
    const list = a[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${key} must be an array`;
    for (const [i, c] of list.entries()) {
      const spec = c as { options?: unknown; bits?: unknown } | null;
      if (typeof spec !== "object" || spec === null || typeof spec.options !== "object" || spec.options === null) return `${key}[${i}].options must be an object`;
      if (spec.bits !== undefined && !(Array.isArray(spec.bits) && spec.bits.length > 0 && spec.bits.every((b) => Number.isInteger(b) && b >= 1 && b <= 32))) return `${key}[${i}].bits must be a non-empty array of integer widths`;
    }
  }
  if (a.order !== undefined && !(typeof a.order === "number" && Number.isFinite(a.order))) return "order must be a finite number";
  if (a.costly !== undefined && typeof a.costly !== "function") return "costly must be a function";
  return undefined;
}
