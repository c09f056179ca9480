import { ErrorCodes, QuantforgeError } from "@quantforge/core";

/**
 * A plugin that cannot be found or imported: a package that is not installed, a file that does
 * not exist, a package without an entry point, or a module that throws while it is imported
 * (`QF_PLUGIN_LOAD`, exit 2). The original error is the `cause`.
 */
export class PluginLoadError extends QuantforgeError {
  /** The plugin as the user named it (package name or path). */
  readonly plugin: string;
  constructor(plugin: string, message: string, cause?: unknown) {
    super(ErrorCodes.PLUGIN_LOAD, message, { cause });
    this.plugin = plugin;
  }
}

/**
 * A plugin module whose default export is missing or is not a descriptor or a non-empty array of
 * descriptors (`QF_PLUGIN_EXPORT`, exit 2).
 */
export class PluginExportError extends QuantforgeError {
  /** The plugin as the user named it (package name or path). */
  readonly plugin: string;
  constructor(plugin: string, message: string, cause?: unknown) {
    super(ErrorCodes.PLUGIN_EXPORT, message, { cause });
    this.plugin = plugin;
  }
}

/**
 * A plugin package built for another `@quantforge/core` than the one this runner uses: its
 * `peerDependencies` range does not contain the running core version, or is not a valid range
 * (`QF_PLUGIN_INCOMPATIBLE`, exit 2).
 */
export class IncompatiblePluginError extends QuantforgeError {
  /** The package name. */
  readonly plugin: string;
  /** The `@quantforge/core` range the package declares. */
  readonly range: string;
  /** The version of `@quantforge/core` the runner uses. */
  readonly coreVersion: string;
  constructor(plugin: string, range: string, coreVersion: string, message: string, cause?: unknown) {
    super(ErrorCodes.PLUGIN_INCOMPATIBLE, message, { cause });
    this.plugin = plugin;
    this.range = range;
    this.coreVersion = coreVersion;
  }
}

/**
 * A loaded plugin whose kind and id are already taken by another plugin (a built-in or another
 * loaded package) — `QF_DUPLICATE_PLUGIN`, the registry's code, with the registry's
 * `DuplicatePluginError` as the `cause`.
 */
export class PluginConflictError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.DUPLICATE_PLUGIN, message, { cause });
  }
}
