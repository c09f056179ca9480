import type { AnyPlugin } from "@quantforge/core";
import { builtinPlugins } from "../plugins.js";
import type { Runtime } from "../runtime.js";

function pluginKey(ps: readonly { kind: string; id: string; version: string }[]): string {
  return ps
    .map((p) => `${p.kind}/${p.id}@${p.version}`)
    .sort()
    .join(" ");
}

/**
 * True when the runner's built-in plugins are exactly {@link builtinPlugins}: worker threads
 * rebuild their registry from that list (plus the loaded plugin sources), so a composition root
 * with other in-process plugins (tests' mocks) cannot be rebuilt there.
 */
export function builtinsRebuildable(rt: Runtime): boolean {
  const builtins = rt.registry.list().filter((p) => rt.registry.origin(p)?.source === "builtin");
  return pluginKey(builtins) === pluginKey(builtinPlugins());
}

/** True when a worker thread can build each of `plugins` the way this thread did. */
export function workersCanBuild(rt: Runtime, plugins: readonly AnyPlugin[]): boolean {
  const loaded = plugins.every((p) => rt.registry.origin(p)?.source !== "builtin");
  return loaded || builtinsRebuildable(rt);
}
