import { isDeepStrictEqual } from "node:util";
import { deprecatedSpellings, type OptionAliases } from "@quantforge/core";

/** What the recorder needs of a plugin descriptor. */
interface OptionsParser {
  parseOptions(raw: unknown): unknown;
  readonly optionAliases?: OptionAliases;
}

/**
 * The options to record in a `.qf` header: only those that differ from the plugin's defaults,
 * when `parser.parseOptions` of that subset gives back exactly `options` (so nothing is lost:
 * the same plugin version re-derives the rest); else all of them. The runner's full option
 * record (every default spelled out) was ~350 bytes, 0.02–0.04 bit/weight on models of 80–130k
 * weights.
 *
 * An option given in a deprecated spelling (`raw`, the plugin's `optionAliases`) is recorded as
 * given: it parses to the same value, and a `.qf` written with an old spelling stays
 * byte-identical to one written before the value was renamed.
 */
export function recordedOptions(parser: OptionsParser, options: unknown, raw?: unknown): unknown {
  if (!options || typeof options !== "object" || Array.isArray(options)) return options;
  const spelled = new Map(deprecatedSpellings(raw, parser.optionAliases).map((s) => [s.option, s.given]));
  let defaults: unknown;
  try {
    defaults = parser.parseOptions({});
  } catch {
    return options;
  }
  if (!defaults || typeof defaults !== "object") return options;
  const base = defaults as Record<string, unknown>;
  const minimal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (spelled.has(k)) minimal[k] = spelled.get(k);
    else if (!(k in base) || !isDeepStrictEqual(base[k], v)) minimal[k] = v;
  }
  try {
    return isDeepStrictEqual(parser.parseOptions(minimal), options) ? minimal : options;
  } catch {
    return options;
  }
}

/**
 * The `quantizerOptions` entry of a `.qf` header: `{ quantizerOptions }` with the recorded options,
 * or nothing when every option is the plugin's default (an absent entry means "the defaults of the
 * recorded quantizer version"; 22 bytes of `"quantizerOptions":{}` are 0.0007 bit/weight on a
 * 266k-weight model, which is what separates NF4 on mnist-mlp from its 4.30 bits/weight budget).
 */
export function optionsEntry(parser: OptionsParser, options: unknown, raw?: unknown): { quantizerOptions?: unknown } {
  const r = recordedOptions(parser, options, raw);
  const empty = !!r && typeof r === "object" && !Array.isArray(r) && Object.keys(r).length === 0;
  return empty ? {} : { quantizerOptions: r };
}
