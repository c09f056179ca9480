import { container as globalContainer, type DependencyContainer } from "tsyringe";
import { RUN_CONFIG, RUN_CONTEXT, registerPlugins, type AnyPlugin, type PluginRegistry, type RunContext } from "@quantforge/core";

/**
 * The root container of one CLI invocation: every plugin descriptor registered on it (tsyringe's
 * `resolveAll` does not merge parent and child, so plugins live here and only here) plus the
 * registry built from them. A child of tsyringe's global container, so two in-process `main`
 * calls never see each other's registrations.
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
