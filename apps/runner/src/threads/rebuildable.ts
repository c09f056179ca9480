import type { AnyPlugin } from "@quantforge/core";
import { BUILTIN_PLUGINS } from "../builtin-plugins.js";
import type { Runtime } from "../runtime.js";

function pluginKey(ps: readonly { kind: string; id: string; version: string }[]): string {
  return ps
    .map((p) => `${p.kind}/${p.id}@${p.version}`)
    .sort()
    .join(" ");
}

/**
 * True when the runner's built-in plugins came from its built-in list ({@link BUILTIN_PLUGINS},
 * the list `builtinPlugins()` creates): worker threads rebuild their registry from that list (plus
 * the loaded plugin sources), so a composition root with other in-process plugins (tests' mocks)
 * cannot be rebuilt there. A command may have imported only some of the built-ins.
 */
export function builtinsRebuildable(rt: Runtime): boolean {
  const builtins = rt.registry.list().filter((p) => rt.registry.origin(p)?.source === "builtin");
  return (builtins.length > 0 && builtins.every((p) => rt.isBuiltin(p))) || pluginKey(builtins) === pluginKey(BUILTIN_PLUGINS);
}

/** True when a worker thread can build each of `plugins` the way this thread did. */
export function workersCanBuild(rt: Runtime, plugins: readonly AnyPlugin[]): boolean {
  const loaded = plugins.every((p) => rt.registry.origin(p)?.source !== "builtin");
  return loaded || builtinsRebuildable(rt);
}
