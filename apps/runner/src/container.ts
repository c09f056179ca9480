import { container as globalContainer, type DependencyContainer } from "tsyringe";
import type { AnyPlugin, RunContext } from "@quantforge/core";
import { RUN_CONFIG, RUN_CONTEXT, registerPlugins, type PluginRegistry } from "@quantforge/core/host";

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

export { registerLoadedPlugins } from "./plugin-loader/index.js";
