import { defineQuantizer, UnknownPluginError, type Coder, type CoderPlugin, type PluginHost, type Quantizer, type QuantizerPlugin } from "@quantforge/core";
import { autoQuantize, type MeasurementCache } from "./auto-quantizer.js";
import { buildCandidates, type Candidate } from "./candidates.js";
import { autoOptionsSchema, type AutoOptions, type AutoOptionsInput } from "./options.js";
import { VERSION } from "./version.js";

/** What {@link autoQuantizer} takes at construction. */
export interface AutoQuantizerConfig {
  /**
   * The descriptors candidates (and the `coder` option) are taken from instead of the host's
   * registry — for code that builds auto without a composition root. By default auto asks the
   * host (`create(options, host)`), so it sees every registered quantizer, including ones loaded
   * at run time. A function is called lazily; `auto` is never its own candidate.
   */
  readonly plugins?: readonly QuantizerPlugin[] | (() => readonly { kind: string; id: string }[]);
  /**
   * Where measurements are kept between runs (a compare's bit axis re-uses them). Default: one
   * cache shared by every auto instance of this module, keyed weakly by the model.
   */
  readonly cache?: MeasurementCache;
  /** Options applied under the options given at run time. */
  readonly defaults?: Partial<AutoOptionsInput>;
}

/**
 * auto's default measurement cache: keyed weakly by the model (a model that is gone takes its
 * entries with it), so every auto instance measuring the same model — one per compare cell —
 * reuses the points, and none lives inside a descriptor. An entry's key holds everything the
 * points depend on (weights' fingerprints, candidates, plan, coder, seed).
 */
const MEASUREMENTS: MeasurementCache = new WeakMap();

/**
 * The `auto` quantizer (needs `forward`): given a size budget — `bits` per weight (default 4;
 * compare's bit axis) or `bytes` — it picks per tensor the method, options, granularity and bit
 * width among candidate quantizers to minimise the model-output error. Every tensor is quantized
 * alone with every candidate; the output error (Σ over outputs of the squared relative error on
 * `samples` inputs) and the real coded size (fixed-length codes + serialized codebook bytes)
 * give each tensor's rate–distortion points; greedy equal-slope allocation on their lower convex
 * hulls picks one per tensor under the budget; the assembled mixed model is measured end to end
 * and reported as an `info` diagnostic (`auto/summary`). Cost: tensors × candidates
 * quantizations and forward passes (candidates capped by `maxCandidates`, default 72; samples by
 * `samples`, default 256).
 *
 * @param config - Candidate quantizer descriptors and default options.
 */
export function autoQuantizer(config: AutoQuantizerConfig = {}): QuantizerPlugin<AutoOptions> {
  const cache = config.cache ?? MEASUREMENTS;
  return defineQuantizer({
    id: "auto",
    version: VERSION,
    description: "Per-tensor choice of method, granularity and bit width under a size budget (bits/weight or bytes) by measured rate–output-error slopes; verified end to end",
    options: autoOptionsSchema,
    defaults: config.defaults,
    create: (o, host): Quantizer => {
      // The configured descriptors, else every quantizer the host registered (built-in or loaded).
      const given = config.plugins === undefined ? undefined : typeof config.plugins === "function" ? config.plugins() : config.plugins;
      const pool: readonly { kind: string; id: string }[] = given ?? host.registry.list("quantizer");
      const list = pool.filter((x): x is QuantizerPlugin => x.kind === "quantizer" && x.id !== "auto");
      // Validate the candidate list now, so bad candidates fail before any model is loaded.
      const loaded = loadedSources(buildCandidates(o, list, host), list, host);
      const coder = coderOf(o.coder, given, host);
      return {
        id: "auto",
        needs: ["forward"],
        quantize: (weights, ctx) => {
          if (loaded) ctx.diagnostics.report({ severity: "info", source: "auto", ruleId: "candidates", message: loaded });
          return autoQuantize(weights, o, list, ctx, cache, coder, host);
        },
      };
    },
  });
}

/** The coder of option `coder` (its default options): from the configured plugins when they hold coders, else the host's registry. */
function coderOf(id: string | undefined, given: readonly { kind: string; id: string }[] | undefined, host: PluginHost): Coder | undefined {
  if (id === undefined) return undefined;
  const coders = (given ?? []).filter((x): x is CoderPlugin => x.kind === "coder");
  if (coders.length === 0) return host.registry.coder(id).create(host.registry.coder(id).parseOptions({}), host);
  const p = coders.find((x) => x.id === id);
  if (!p) throw new UnknownPluginError("coder", id, coders.map((x) => x.id).sort());
  return p.create(p.parseOptions({}), host);
}

/**
 * The `auto/candidates` note: which candidates come from quantizers the host did not build in
 * (`--plugin`, config `plugins`, discovered packages), so a plugin author sees auto took theirs
 * up. Undefined when every candidate is built in (the built-in set is documented).
 */
function loadedSources(all: readonly Candidate[], plugins: readonly QuantizerPlugin[], host: PluginHost): string | undefined {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const counts = new Map<string, number>();
  for (const c of all) {
    const p = byId.get(c.quantizer);
    const source = p ? host.registry.origin(p)?.source : undefined;
    if (source === undefined || source === "builtin") continue;
    counts.set(c.quantizer, (counts.get(c.quantizer) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const parts = [...counts].map(([id, n]) => `"${id}" from ${host.registry.origin(byId.get(id)!)!.source} (${n} candidate${n === 1 ? "" : "s"})`);
  return `auto considers quantizers loaded at run time: ${parts.join(", ")}; ${all.length} candidates in all.`;
}
