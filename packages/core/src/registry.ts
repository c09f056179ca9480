import type { DependencyContainer } from "tsyringe";
import { autoEligibilityProblem } from "./auto-eligibility.js";
import { DuplicatePluginError, InvalidPluginError, UnknownPluginError } from "./errors.js";
import { createHost, type PluginHost, type PluginLookup } from "./host.js";
import type { AnyPlugin, CoderPlugin, EvaluatorPlugin, PluginKind, PluginMeta, QuantizerPlugin } from "./plugin.js";
import { PLUGIN_REGISTRY } from "./tokens.js";

const KINDS: readonly PluginKind[] = ["quantizer", "coder", "evaluator"];
const ID_RE = /^[a-z0-9][a-z0-9-]*$/;

/** Where a registered plugin came from (shown by `quantforge list`). */
export interface PluginOrigin {
  /** `builtin`, a package name, or a file path. */
  readonly source: string;
  /** For loaded plugins: the absolute path of the package directory or file it was imported from. */
  readonly path?: string;
}

/** Throws {@link InvalidPluginError} unless `p` has the shape of a plugin descriptor. */
export function assertPluginDescriptor(p: unknown, where = "descriptor"): asserts p is AnyPlugin {
  if (typeof p !== "object" || p === null) throw new InvalidPluginError(where, "(object)");
  const d = p as Record<string, unknown>;
  const name = typeof d.id === "string" ? `"${d.id}" (${where})` : where;
  if (!KINDS.includes(d.kind as PluginKind)) throw new InvalidPluginError(name, "kind");
  if (typeof d.id !== "string" || !ID_RE.test(d.id)) throw new InvalidPluginError(name, "id");
  if (typeof d.version !== "string" || d.version.length === 0) throw new InvalidPluginError(name, "version");
  if (typeof d.description !== "string") throw new InvalidPluginError(name, "description");
  if (typeof d.parseOptions !== "function") throw new InvalidPluginError(name, "parseOptions");
  if (typeof d.create !== "function") throw new InvalidPluginError(name, "create");
  if (d.auto !== undefined) {
    const problem = d.kind === "quantizer" ? autoEligibilityProblem(d.auto) : "only quantizers declare it";
    if (problem) throw new InvalidPluginError(name, `auto (${problem})`);
  }
}

/**
 * Plugins indexed by kind and id: the single place plugins are registered. The same descriptor
 * object twice is a no-op; a different descriptor with the same kind and id is a
 * {@link DuplicatePluginError}. Plugins see it read-only, as a {@link PluginLookup}.
 */
export class PluginRegistry implements PluginLookup {
  private readonly byKind = new Map<PluginKind, Map<string, AnyPlugin>>(KINDS.map((k) => [k, new Map()]));
  private readonly origins = new Map<AnyPlugin, PluginOrigin>();

  constructor(plugins: readonly AnyPlugin[] = [], origin: PluginOrigin = { source: "builtin" }) {
    for (const p of plugins) this.add(p, origin);
  }

  /**
   * The registry registered on a container (or one of its ancestors) by {@link registerPlugins};
   * an empty registry when there is none.
   */
  static fromContainer(c: DependencyContainer): PluginRegistry {
    return c.isRegistered(PLUGIN_REGISTRY, true) ? c.resolve(PLUGIN_REGISTRY) : new PluginRegistry();
  }

  /** Adds one descriptor (validated). */
  add(p: AnyPlugin, origin: PluginOrigin = { source: "builtin" }): void {
    assertPluginDescriptor(p, origin.source);
    const m = this.byKind.get(p.kind)!;
    const prev = m.get(p.id);
    if (prev === p) return;
    if (prev) throw new DuplicatePluginError(p.kind, p.id, [`${prev.version} (${this.origins.get(prev)?.source ?? "?"})`, `${p.version} (${origin.source})`]);
    m.set(p.id, p);
    this.origins.set(p, origin);
  }

  private get<T extends AnyPlugin>(kind: PluginKind, id: string): T {
    const p = this.byKind.get(kind)!.get(id);
    if (!p) throw new UnknownPluginError(kind, id, [...this.byKind.get(kind)!.keys()].sort());
    return p as T;
  }

  /** The quantizer with this id; {@link UnknownPluginError} lists the known ids. */
  quantizer(id: string): QuantizerPlugin {
    return this.get("quantizer", id);
  }
  /** The coder with this id. */
  coder(id: string): CoderPlugin {
    return this.get("coder", id);
  }
  /** The evaluator with this id. */
  evaluator(id: string): EvaluatorPlugin {
    return this.get("evaluator", id);
  }
  /** True if a plugin of this kind and id is registered. */
  has(kind: PluginKind, id: string): boolean {
    return this.byKind.get(kind)!.has(id);
  }
  /** Descriptors of one kind (or all), sorted by id. */
  list(kind?: PluginKind): readonly AnyPlugin[] {
    const kinds = kind ? [kind] : KINDS;
    return kinds.flatMap((k) => [...this.byKind.get(k)!.values()].sort((a, b) => a.id.localeCompare(b.id)));
  }
  /** Where a descriptor came from. */
  origin(p: PluginMeta): PluginOrigin | undefined {
    return this.origins.get(p as AnyPlugin);
  }
}

/**
 * Registers the registry built from `plugins` on a container under {@link PLUGIN_REGISTRY}: each
 * plugin is registered once, in the registry (later additions, e.g. plugins loaded at run time,
 * go through `registry.add`). Call it once, on the root container, in the composition root.
 */
export function registerPlugins(container: DependencyContainer, plugins: readonly AnyPlugin[]): PluginRegistry {
  const registry = new PluginRegistry(plugins);
  container.register(PLUGIN_REGISTRY, { useValue: registry });
  return registry;
}

/**
 * A host whose registry holds exactly `plugins` (built-in origin): for code that creates
 * plugins outside a composition root (tests, scripts, `instantiate`).
 */
export function standaloneHost(plugins: readonly AnyPlugin[], o: { readonly coders?: readonly string[] } = {}): PluginHost {
  return createHost(new PluginRegistry(plugins), o);
}
