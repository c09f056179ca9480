/**
 * Loading third-party plugins at the edge (style §7.3 rule 7): specs from `--plugin` and the
 * config's `plugins`, installed `quantforge-plugin-*` packages with `--discover`, a semver check
 * of each package's `@quantforge/core` peer range, and typed errors with the original as `cause`.
 */
export { PluginLoadError, PluginExportError, IncompatiblePluginError, PluginConflictError } from "./errors.js";
export { resolvePluginSpec, discoverPluginSources, PLUGIN_PACKAGE_PREFIX } from "./sources.js";
export type { PluginSource, PluginPackage, PluginVia } from "./sources.js";
export { checkCoreCompatibility, runningCoreVersion } from "./compat.js";
export { importPluginSource, importPluginSources, resolvePluginSources, sourceLabel } from "./load.js";
export type { LoadedPlugin, PluginRequest } from "./load.js";
export { registerLoadedPlugins } from "./register.js";
export { findPackageDir, packageEntry, isPackageName } from "./package.js";
