import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PluginLoadError } from "./errors.js";
import { findPackageDir, findPackageRoot, isPackageName, packageEntry, readManifest, type PackageManifest } from "./package.js";

/** How a plugin was asked for. */
export type PluginVia = "flag" | "config" | "discover";

/** A plugin package the loader found: what `quantforge list` and the compatibility check need. */
export interface PluginPackage {
  readonly name: string;
  readonly version: string;
  /** Absolute path of the package directory. */
  readonly dir: string;
  /** The `@quantforge/core` range from `peerDependencies` (else `dependencies`), if any. */
  readonly coreRange?: string;
}

/**
 * A resolved plugin: where its module is and how to name it. Plain data, so the compare worker
 * threads can receive it and import the same module again.
 */
export interface PluginSource {
  /** The spec as given (`quantforge-plugin-foo`, `./local/plugin.js`). */
  readonly spec: string;
  /** How it was asked for: `--plugin`, the config file's `plugins`, or `--discover`. */
  readonly via: PluginVia;
  /** What `quantforge list` shows as `source`: the package name, or the file's absolute path. */
  readonly source: string;
  /** Absolute path of the module that is imported. */
  readonly entry: string;
  /** Absolute path of the package directory, or of the file. */
  readonly path: string;
  /** The package that holds the module (for a file: its nearest package.json, if it declares core). */
  readonly package?: PluginPackage;
}

/** The name prefix that `--discover` looks for (unscoped or in any scope). */
export const PLUGIN_PACKAGE_PREFIX = "quantforge-plugin-";

const CORE = "@quantforge/core";

function isPathSpec(spec: string): boolean {
  return spec.startsWith("file:") || spec === "." || spec === ".." || /^\.{1,2}[\\/]/.test(spec) || isAbsolute(spec);
}

function packageOf(dir: string, m: PackageManifest, fallbackName: string): PluginPackage {
  const coreRange = m.peerDependencies?.[CORE] ?? m.dependencies?.[CORE];
  return { name: m.name ?? fallbackName, version: m.version ?? "0.0.0", dir, ...(coreRange !== undefined ? { coreRange } : {}) };
}

function fromPackageDir(spec: string, via: PluginVia, dir: string): PluginSource {
  const m = readManifest(dir, spec);
  const name = m.name ?? spec;
  const entry = packageEntry(dir, m);
  if (entry === undefined) {
    throw new PluginLoadError(spec, `plugin package "${name}" (${dir}) has no entry file for import(): its "exports"/"main" point nowhere. Build or reinstall the package, or ask its author to fix "exports".`);
  }
  return { spec, via, source: name, entry, path: dir, package: packageOf(dir, m, name) };
}

/**
 * Resolves a plugin spec to a {@link PluginSource}. A spec is either a path (`./x.js`, `../dir`,
 * `/abs/x.mjs`, `file:` URL; relative to `baseDir`) to a module file or a package directory, or
 * an npm package name, found in `node_modules` from `baseDir` upwards like Node does.
 *
 * @throws {PluginLoadError} when the file or package does not exist or has no entry.
 */
export function resolvePluginSpec(spec: string, o: { baseDir: string; via: PluginVia }): PluginSource {
  const s = spec.trim();
  if (isPathSpec(s)) {
    const abs = s.startsWith("file:") ? fileURLToPath(s) : resolve(o.baseDir, s);
    if (!existsSync(abs)) {
      throw new PluginLoadError(spec, `plugin file "${spec}" does not exist (looked at ${abs}). Fix the path; relative paths are relative to ${o.baseDir}.`);
    }
    if (statSync(abs).isDirectory()) {
      if (!existsSync(join(abs, "package.json"))) throw new PluginLoadError(spec, `plugin path "${spec}" is a directory without package.json (${abs}). Name the plugin's module file or its package directory.`);
      return fromPackageDir(spec, o.via, abs);
    }
    // A file inside a package that declares its core range is checked against it too.
    const root = findPackageRoot(dirname(abs));
    const m = root ? readManifest(root, spec) : undefined;
    const pkg = root && m && m.peerDependencies?.[CORE] !== undefined ? packageOf(root, m, spec) : undefined;
    return { spec, via: o.via, source: abs, entry: abs, path: abs, ...(pkg ? { package: pkg } : {}) };
  }
  if (!isPackageName(s)) {
    throw new PluginLoadError(spec, `plugin "${spec}" is neither a path nor a package name. Give an npm package name (quantforge-plugin-foo) or a path starting with ./, ../ or /.`);
  }
  const dir = findPackageDir(s, o.baseDir);
  if (dir === undefined) {
    throw new PluginLoadError(spec, `plugin package "${s}" is not installed (no node_modules/${s} in ${o.baseDir} or above). Install it (npm install ${s}) or fix the name.`);
  }
  return fromPackageDir(s, o.via, dir);
}

/**
 * `--discover`: every installed package named `quantforge-plugin-*` or `@<scope>/quantforge-plugin-*`
 * in `node_modules` of `fromDir` and each of its parents. The nearest copy of a name wins, as in
 * Node's resolution. Sorted by package name.
 *
 * @throws {PluginLoadError} when a found package has no entry file.
 */
export function discoverPluginSources(fromDir: string): PluginSource[] {
  const found = new Map<string, string>();
  const add = (name: string, dir: string) => {
    if (!found.has(name) && existsSync(join(dir, "package.json"))) found.set(name, dir);
  };
  let dir = resolve(fromDir);
  for (;;) {
    const nm = join(dir, "node_modules");
    if (existsSync(nm)) {
      for (const e of readdirSync(nm)) {
        if (e.startsWith(PLUGIN_PACKAGE_PREFIX)) add(e, join(nm, e));
        else if (e.startsWith("@")) {
          let scoped: string[];
          try {
            scoped = readdirSync(join(nm, e));
          } catch {
            continue; // a stray file named @something
          }
          for (const s of scoped) if (s.startsWith(PLUGIN_PACKAGE_PREFIX)) add(`${e}/${s}`, join(nm, e, s));
        }
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return [...found.keys()].sort().map((name) => fromPackageDir(name, "discover", found.get(name)!));
}
