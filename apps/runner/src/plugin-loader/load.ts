import { pathToFileURL } from "node:url";
import { openRegularFile } from "@quantforge/core/node";
import type { AnyPlugin } from "@quantforge/core";
import { assertPluginDescriptor } from "@quantforge/core/host";
import { checkCoreCompatibility } from "./compat.js";
import { PluginExportError, PluginLoadError } from "./errors.js";
import { discoverPluginSources, resolvePluginSpec, type PluginSource, type PluginVia } from "./sources.js";

/** A descriptor and where it came from. */
export interface LoadedPlugin {
  readonly plugin: AnyPlugin;
  readonly source: PluginSource;
}

/** The name an error or listing uses for a source: the package name, or the spec as given. */
export function sourceLabel(src: PluginSource): string {
  return src.package && src.entry !== src.path ? src.package.name : src.spec;
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split("\n")[0] ?? "").replace(/\.$/, "");
}

function looksLikeDescriptor(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string" && typeof (v as { create?: unknown }).create === "function";
}

/** Largest plugin entry module imported (64 MiB): bigger "modules" are a mistake or a bomb. */
const MAX_PLUGIN_ENTRY_BYTES = 64 * 1024 * 1024;

/**
 * Imports one plugin module and returns its descriptors: the default export must be a descriptor
 * or a non-empty array of descriptors, each passing `assertPluginDescriptor`.
 *
 * @throws {PluginLoadError} when the import fails (the module or one of its imports is missing, or it throws).
 * @throws {PluginExportError} when the default export is missing, a function, or an empty array.
 * @throws {InvalidPluginError} when a descriptor lacks a field (the message names the package).
 */
export async function importPluginSource(src: PluginSource): Promise<AnyPlugin[]> {
  const label = sourceLabel(src);
  // import() of a FIFO or /dev/zero would hang or read until memory runs out: the entry must be a
  // regular file of a sane size (the shared O_NONBLOCK + fstat policy).
  try {
    await (await openRegularFile(src.entry, { what: "plugin entry", maxBytes: MAX_PLUGIN_ENTRY_BYTES })).handle.close();
  } catch (e) {
    throw new PluginLoadError(src.spec, `plugin "${label}" cannot be loaded: ${(e as Error).message}`, e);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(src.entry).href)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const fix = code === "ERR_MODULE_NOT_FOUND" ? "Install the plugin's dependencies (it needs @quantforge/core, for one) or reinstall it" : "Fix the plugin, or reinstall it; --verbose shows the stack";
    throw new PluginLoadError(src.spec, `plugin "${label}" failed to load from ${src.entry}: ${firstLine(e)}. ${fix}.`, e);
  }
  const def = mod.default;
  const entry = src.entry;
  if (def === undefined) {
    const named = Object.entries(mod)
      .filter(([, v]) => looksLikeDescriptor(v))
      .map(([k]) => k);
    const hint = named.length ? ` It has named descriptor exports (${named.join(", ")}): add \`export default [${named.join(", ")}]\`.` : "";
    throw new PluginExportError(src.spec, `plugin "${label}" has no default export (${entry}). A plugin module must \`export default\` a descriptor or an array of descriptors, e.g. \`export default log2Quantizer()\`.${hint}`);
  }
  if (typeof def === "function") {
    throw new PluginExportError(src.spec, `plugin "${label}": the default export is a function, not a descriptor (${entry}). Export its result instead: \`export default ${def.name || "myPlugin"}()\`.`);
  }
  const list = Array.isArray(def) ? (def as unknown[]) : [def];
  if (list.length === 0) throw new PluginExportError(src.spec, `plugin "${label}": the default export is an empty array (${entry}). Export at least one descriptor.`);
  list.forEach((d, i) => assertPluginDescriptor(d, `from "${label}"${Array.isArray(def) ? `, default export [${i}]` : ""}`));
  return list as AnyPlugin[];
}

/** What to load: specs from the command line and the config file, and whether to discover packages. */
export interface PluginRequest {
  /** Specs (package names or paths). */
  readonly specs: readonly string[];
  /** Relative paths and package names are resolved from here. */
  readonly baseDir: string;
  readonly via: PluginVia;
}

/**
 * Resolves specs and (with `discover`) installed `quantforge-plugin-*` packages to sources,
 * dropping a source whose module is already in `seen` (the same plugin named twice), and checks
 * every package's core range before anything is imported.
 *
 * @throws {PluginLoadError} for a spec that does not resolve.
 * @throws {IncompatiblePluginError} for a package built for another core.
 */
export function resolvePluginSources(requests: readonly PluginRequest[], o: { discover?: { fromDir: string }; seen?: ReadonlySet<string>; coreVersion?: string } = {}): PluginSource[] {
  const out: PluginSource[] = [];
  const seen = new Set(o.seen ?? []);
  const push = (s: PluginSource) => {
    if (seen.has(s.entry)) return;
    seen.add(s.entry);
    out.push(s);
  };
  for (const r of requests) for (const spec of r.specs) push(resolvePluginSpec(spec, r));
  if (o.discover) for (const s of discoverPluginSources(o.discover.fromDir)) push(s);
  for (const s of out) checkCoreCompatibility(s, o.coreVersion);
  return out;
}

/** Imports every source in order (see {@link importPluginSource}). */
export async function importPluginSources(sources: readonly PluginSource[]): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const source of sources) for (const plugin of await importPluginSource(source)) loaded.push({ plugin, source });
  return loaded;
}

export type { PluginVia };
