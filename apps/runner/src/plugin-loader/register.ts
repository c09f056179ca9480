import { DuplicatePluginError } from "@quantforge/core";
import type { PluginRegistry } from "@quantforge/core/host";
import { PluginConflictError } from "./errors.js";
import { sourceLabel, type LoadedPlugin } from "./load.js";

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
