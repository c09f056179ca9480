import type { AnyPlugin, CoderPlugin, EvaluatorPlugin, PluginKind, PluginMeta, QuantizerPlugin } from "./plugin.js";
import type { PluginOrigin } from "./registry.js";

/**
 * The read-only face of the plugin registry that plugins see through their {@link PluginHost}:
 * lookup by kind and id, listing, and where a descriptor came from. `PluginRegistry` implements
 * it; a plugin cannot add or remove plugins through it.
 */
export interface PluginLookup {
  /** The quantizer with this id; `UnknownPluginError` (`QF_UNKNOWN_PLUGIN`) lists the known ids. */
  quantizer(id: string): QuantizerPlugin;
  /** The coder with this id; `UnknownPluginError` lists the known ids. */
  coder(id: string): CoderPlugin;
  /** The evaluator with this id; `UnknownPluginError` lists the known ids. */
  evaluator(id: string): EvaluatorPlugin;
  /** True if a plugin of this kind and id is registered. */
  has(kind: PluginKind, id: string): boolean;
  /** Descriptors of one kind (or all), sorted by id within each kind. */
  list(kind?: PluginKind): readonly AnyPlugin[];
  /** Where a descriptor came from (`builtin`, a package name or a file), or undefined when not registered. */
  origin(p: PluginMeta): PluginOrigin | undefined;
}

/**
 * What a plugin's `create(options, host)` gets besides its options: read-only services of the
 * host application. A plugin that needs other plugins (a meta-quantizer choosing among
 * quantizers, a loader decoding with a coder) takes them from here by id instead of importing
 * their packages, so it also sees plugins loaded at run time (`--plugin`). Plugins that need
 * nothing ignore it (`create(options)` stays a valid factory).
 */
export interface PluginHost {
  /** Every registered plugin (built-in and loaded), read-only. */
  readonly registry: PluginLookup;
  /**
   * Ids of the coders this run writes with, in order (`run --coder`, a compare cell's coder);
   * empty when the host does not know them. Each is registered in {@link registry}.
   */
  readonly coders: readonly string[];
}

/** Builds a frozen {@link PluginHost} over a registry and the run's coder ids. */
export function createHost(registry: PluginLookup, o: { readonly coders?: readonly string[] } = {}): PluginHost {
  return Object.freeze({ registry, coders: Object.freeze([...(o.coders ?? [])]) });
}
