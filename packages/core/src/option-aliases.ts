import { z } from "zod";
import type { DiagnosticsSink } from "./context.js";

/**
 * Old spellings of option values a plugin still accepts: option name → old value → canonical
 * value, e.g. `{ granularity: { layer: "tensor" } }`. Declared once per plugin and given both to
 * {@link aliasedEnum} (so the old value parses) and to the descriptor's `optionAliases` (so hosts
 * can warn with {@link warnDeprecatedOptions}).
 */
export type OptionAliases = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Rule id of the diagnostic {@link warnDeprecatedOptions} emits. */
export const DEPRECATED_OPTION_RULE = "deprecated-option";

/** One old spelling found in raw options: see {@link deprecatedSpellings}. */
export interface DeprecatedSpelling {
  readonly option: string;
  /** The old value as given. */
  readonly given: string;
  /** What it parses to. */
  readonly canonical: string;
}

/**
 * A zod enum of `values` that also accepts the old spellings in `aliases` (old → canonical) and
 * parses them to the canonical value, so old and new spellings give identical options. Invalid
 * input is reported against the canonical values only (aliases are not advertised).
 *
 * @param values - Canonical values (at least one).
 * @param aliases - Old spelling → canonical value.
 * @example
 * ```ts
 * const granularity = aliasedEnum(["tensor", "channel"], { layer: "tensor" }).default("tensor");
 * granularity.parse("layer"); // "tensor"
 * ```
 */
export function aliasedEnum<const V extends readonly string[], const A extends Readonly<Record<string, V[number]>>>(values: V, aliases: A): z.ZodType<V[number], V[number] | Extract<keyof A, string>> {
  const canonical = z.enum(values as unknown as [V[number], ...V[number][]]);
  return z.preprocess((v) => (typeof v === "string" && Object.hasOwn(aliases, v) ? aliases[v] : v), canonical) as unknown as z.ZodType<V[number], V[number] | Extract<keyof A, string>>;
}

/**
 * The old spellings used in `raw` options (top-level keys only, in the order of `aliases`).
 *
 * @param raw - Options as the user gave them (unvalidated).
 * @param aliases - The plugin's {@link OptionAliases}; none → nothing found.
 */
export function deprecatedSpellings(raw: unknown, aliases: OptionAliases | undefined): DeprecatedSpelling[] {
  if (!aliases || !raw || typeof raw !== "object" || Array.isArray(raw)) return [];
  const r = raw as Record<string, unknown>;
  const found: DeprecatedSpelling[] = [];
  for (const [option, map] of Object.entries(aliases)) {
    const given = Object.hasOwn(r, option) ? r[option] : undefined;
    if (typeof given === "string" && Object.hasOwn(map, given)) found.push({ option, given, canonical: map[given]! });
  }
  return found;
}

/**
 * Reports one `warning` with rule {@link DEPRECATED_OPTION_RULE} per old spelling in `raw`, e.g.
 * `option granularity=layer is deprecated; use granularity=tensor`. Hosts call it where they
 * validate a plugin's options; the output is unchanged (the old value parses to the new one).
 *
 * @param raw - Options as the user gave them (unvalidated).
 * @param aliases - The plugin's {@link OptionAliases} (its descriptor's `optionAliases`).
 * @param diagnostics - Where the warnings go.
 * @param source - Plugin id reporting them.
 * @returns How many warnings were reported.
 */
export function warnDeprecatedOptions(raw: unknown, aliases: OptionAliases | undefined, diagnostics: DiagnosticsSink, source: string): number {
  const found = deprecatedSpellings(raw, aliases);
  for (const s of found) {
    diagnostics.report({ severity: "warning", source, ruleId: DEPRECATED_OPTION_RULE, message: `option ${s.option}=${s.given} is deprecated; use ${s.option}=${s.canonical}` });
  }
  return found.length;
}
