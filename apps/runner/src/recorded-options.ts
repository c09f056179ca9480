import { isDeepStrictEqual } from "node:util";

/**
 * The options to record in a `.qf` header: only those that differ from the plugin's defaults,
 * when `parser.parseOptions` of that subset gives back exactly `options` (so nothing is lost:
 * the same plugin version re-derives the rest); else all of them. The runner's full option
 * record (every default spelled out) was ~350 bytes, 0.02–0.04 bit/weight on models of 80–130k
 * weights.
 */
export function recordedOptions(parser: { parseOptions(raw: unknown): unknown }, options: unknown): unknown {
  if (!options || typeof options !== "object" || Array.isArray(options)) return options;
  let defaults: unknown;
  try {
    defaults = parser.parseOptions({});
  } catch {
    return options;
  }
  if (!defaults || typeof defaults !== "object") return options;
  const base = defaults as Record<string, unknown>;
  const minimal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!(k in base) || !isDeepStrictEqual(base[k], v)) minimal[k] = v;
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
export function optionsEntry(parser: { parseOptions(raw: unknown): unknown }, options: unknown): { quantizerOptions?: unknown } {
  const r = recordedOptions(parser, options);
  const empty = !!r && typeof r === "object" && !Array.isArray(r) && Object.keys(r).length === 0;
  return empty ? {} : { quantizerOptions: r };
}
