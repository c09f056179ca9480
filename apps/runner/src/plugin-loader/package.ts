import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PluginLoadError } from "./errors.js";

/** The fields of a package.json the loader reads. */
export interface PackageManifest {
  readonly name?: string;
  readonly version?: string;
  readonly main?: string;
  readonly exports?: unknown;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

/** Export conditions an ESM `import()` on Node matches, in the order Node checks them. */
const IMPORT_CONDITIONS = new Set(["node", "import", "module-sync", "default"]);

/** npm package names: optional `@scope/`, then a name without slashes (legacy upper case allowed). */
const PACKAGE_NAME_RE = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i;

/** True when `spec` looks like an npm package name rather than a path. */
export function isPackageName(spec: string): boolean {
  return PACKAGE_NAME_RE.test(spec);
}

/** Reads and parses `dir/package.json`; a broken file is a {@link PluginLoadError}. */
export function readManifest(dir: string, plugin: string): PackageManifest {
  const file = join(dir, "package.json");
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (typeof m !== "object" || m === null || Array.isArray(m)) throw new Error("not a JSON object");
    return m;
  } catch (e) {
    throw new PluginLoadError(plugin, `plugin "${plugin}": cannot read ${file}: ${(e as Error).message.split("\n")[0]}. Reinstall the package.`, e);
  }
}

/**
 * The directory of package `name` as Node would find it from `fromDir`: `node_modules/<name>` in
 * `fromDir` and each of its parents, nearest first. Returns undefined when it is not installed.
 */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The nearest `package.json` directory at or above `fromDir` (undefined at the file-system root). */
export function findPackageRoot(fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Resolves one `exports` target for an `import()` (strings, condition objects, fallback arrays). */
function exportTarget(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = exportTarget(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (typeof target === "object" && target !== null) {
    // Node walks a conditions object in key order and takes the first condition it matches.
    for (const [k, v] of Object.entries(target)) {
      if (!IMPORT_CONDITIONS.has(k)) continue;
      const r = exportTarget(v);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/**
 * The file `import("<name>")` loads for a package in `dir`: its `exports["."]` under the Node
 * import conditions (`node`, `import`, `module-sync`, `default`), else `main`, else `index.js`.
 * Returns undefined when the package has no such file.
 */
export function packageEntry(dir: string, m: PackageManifest): string | undefined {
  let rel: string | undefined;
  if (m.exports !== undefined && m.exports !== null) {
    const ex = m.exports;
    const dot = typeof ex === "object" && !Array.isArray(ex) && Object.keys(ex).some((k) => k.startsWith(".")) ? (ex as Record<string, unknown>)["."] : ex;
    rel = exportTarget(dot);
    // With "exports", Node never falls back to "main".
    if (rel === undefined) return undefined;
  } else {
    rel = m.main ?? "index.js";
  }
  const file = resolve(dir, rel);
  if (existsSync(file) && statSync(file).isFile()) return file;
  if (m.exports === undefined && existsSync(`${file}.js`)) return `${file}.js`;
  if (m.exports === undefined && existsSync(join(file, "index.js"))) return join(file, "index.js");
  return undefined;
}
