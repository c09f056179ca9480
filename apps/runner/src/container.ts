import { container as globalContainer, type DependencyContainer } from "tsyringe";
import { DuplicatePluginError, type AnyPlugin, type RunContext } from "@quantforge/core";
import { RUN_CONFIG, RUN_CONTEXT, registerPlugins, type PluginRegistry } from "@quantforge/core/host";
import { PluginConflictError, sourceLabel, type LoadedPlugin } from "./plugin-loader/index.js";

/**
 * The root container of one CLI invocation, with the plugin registry registered on it
 * (`PLUGIN_REGISTRY`): every plugin is registered once, in the registry, and per-run child
 * containers resolve it from here. A child of tsyringe's global container, so two in-process
 * `main` calls never see each other's registrations.
 */
export function createRootContainer(plugins: readonly AnyPlugin[]): { root: DependencyContainer; registry: PluginRegistry } {
  const root = globalContainer.createChildContainer();
  const registry = registerPlugins(root, plugins);
  return { root, registry };
}

/**
 * A child container for one run: the run's configuration under {@link RUN_CONFIG} and its context
 * (seed, progress, abort signal) under {@link RUN_CONTEXT}. Plugins stay on the parent.
 */
export function createRunContainer<C>(root: DependencyContainer, config: C, ctx: RunContext): DependencyContainer {
  const child = root.createChildContainer();
  child.register(RUN_CONFIG, { useValue: config });
  child.register(RUN_CONTEXT, { useValue: ctx });
  return child;
}

/**
 * Adds plugins loaded at run time (`--plugin`, config `plugins`, `--discover`) to the registry
 * (the root container's, so every run sees them), recording where each came from
 * (`quantforge list` shows it, `auto` names them in its diagnostics).
 * The same descriptor object twice is a no-op.
 *
 * @throws {PluginConflictError} (`QF_DUPLICATE_PLUGIN`) when a kind and id is already taken; the
 *   message names both sources, the registry's `DuplicatePluginError` is the cause.
 */
export function registerLoadedPlugins(registry: PluginRegistry, loaded: readonly LoadedPlugin[]): void {
  for (const { plugin: p, source } of loaded) {
    if (registry.origin(p) !== undefined) continue; // the same descriptor object again
    const label = sourceLabel(source);
    try {
      registry.add(p, { source: source.source, path: source.path });
    } catch (e) {
      if (!(e instanceof DuplicatePluginError)) throw e;
      const prev = registry.list(p.kind).find((q) => q.id === p.id)!;
      const prevSource = registry.origin(prev)?.source ?? "?";
      throw new PluginConflictError(
        `${p.kind} "${p.id}" from "${label}" (version ${p.version}) is already registered by ${prevSource === "builtin" ? "a built-in plugin" : `"${prevSource}"`} (version ${prev.version}). Load only one of them: drop one --plugin/config entry or uninstall one package.`,
        e,
      );
    }
  }
}
