// Bundles the CLI (issue 18, fast start): after `tsc -b`, `dist/cli.js` is replaced by one ESM
// entry plus code-split chunks under `dist/chunks/`, built from the compiled `dist/` files of the
// runner and every workspace package it uses. Node then resolves and compiles a few dozen files
// instead of ~300 (list: 0.54 s → see README § Performance). Command modules stay separate
// chunks (`loadCommands` imports them on demand), so `list` still loads no model code.
//
// Kept external (imported from node_modules at run time, only by the commands that need them):
// the heavy runtimes and libraries below. Each must be a dependency of the runner itself, or it
// would not resolve from `dist/` under pnpm's strict layout; the build fails otherwise.
//
// `import.meta.url` in a bundled workspace file is rewritten to the URL that file has in its own
// package (`new URL(<path>, import.meta.resolve(<package>))`), so file-relative lookups (worker
// entries, package.json, reference models, createRequire) behave as they do unbundled.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Packages never bundled: large, native, or only needed by model, chart, image and queue commands. */
const EXTERNAL = ["@tensorflow/*", "onnxruntime-node", "onnxruntime-common", "vega", "vega-lite", "jimp", "protobufjs", "bullmq", "ioredis", "yaml", "playwright-core"];

/** The nearest package.json above `file`: its directory and parsed contents. */
function packageOf(file) {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    const p = join(d, "package.json");
    if (existsSync(p)) return { dir: d, json: JSON.parse(readFileSync(p, "utf8")) };
  }
  throw new Error(`no package.json above ${file}`);
}

/** The file a package's `"."` export (default condition) points to, relative to its directory. */
function mainEntry(json) {
  let e = json.exports?.["."] ?? json.exports ?? json.main;
  while (e && typeof e === "object") e = e.default ?? e.import;
  if (typeof e !== "string") throw new Error(`${json.name}: no "." export to anchor import.meta.url on`);
  return e;
}

/** `import.meta.url` in a workspace file, as the URL that file has in its own package. */
function unbundledMetaUrl(file, text) {
  if (!text.includes("import.meta.url")) return text;
  const { dir, json } = packageOf(file);
  const rel = relative(dirname(join(dir, mainEntry(json))), file)
    .split(sep)
    .join("/");
  const url = `new URL(${JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`)}, import.meta.resolve(${JSON.stringify(json.name)})).href`;
  return text.replaceAll("import.meta.url", url);
}

const RE_EXPORT = /^export \{([^}]*)\} from "([^"]+)";$/gm;
const NAMED_FROM_WORKSPACE = /^(import|export) \{([^}]*)\} from "(@quantforge\/[a-z0-9-]+)";$/gm;
const barrels = new Map();

/**
 * For a workspace package whose `"."` entry only re-exports (`export { a } from "./a.js"`) and
 * which declares `"sideEffects": false`: each export's file and name there; else undefined.
 */
function barrelOf(name, fromFile) {
  if (barrels.has(name)) return barrels.get(name);
  let map;
  try {
    const entry = fileURLToPath(import.meta.resolve(name, pathToFileURL(fromFile).href));
    const { json } = packageOf(entry);
    const text = readFileSync(entry, "utf8");
    const rest = text
      .replace(RE_EXPORT, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .trim();
    if (json.sideEffects === false && rest === "") {
      map = new Map();
      for (const [, names, from] of text.matchAll(RE_EXPORT))
        for (const spec of names
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)) {
          const [orig, as = orig] = spec.split(/\s+as\s+/);
          // Re-exports of other packages (core's `z`) keep going through the barrel.
          if (from.startsWith(".")) map.set(as, { file: join(dirname(entry), from), name: orig });
        }
    }
  } catch {
    map = undefined;
  }
  barrels.set(name, map);
  return map;
}

/**
 * Named imports from a workspace barrel become imports of the modules that define them. The
 * bundle's chunks are cut by which entries (dynamic imports) reach a module, so through a barrel
 * every command reached all of core, zod included, though `list` uses neither zod nor most of core.
 */
function deepImports(file, text) {
  return text.replace(NAMED_FROM_WORKSPACE, (stmt, kw, names, pkgName) => {
    const map = barrelOf(pkgName, file);
    if (!map) return stmt;
    const byFile = new Map();
    const rest = [];
    for (const spec of names
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [local, as = local] = spec.split(/\s+as\s+/);
      const hit = map.get(local);
      if (!hit) {
        rest.push(spec);
        continue;
      }
      const specs = byFile.get(hit.file) ?? [];
      specs.push(hit.name === as ? as : `${hit.name} as ${as}`);
      byFile.set(hit.file, specs);
    }
    const out = [...byFile].map(([f, specs]) => `${kw} { ${specs.join(", ")} } from ${JSON.stringify(f)};`);
    if (rest.length > 0) out.push(`${kw} { ${rest.join(", ")} } from ${JSON.stringify(pkgName)};`);
    return out.join("\n");
  });
}

/** Rewrites workspace files (not node_modules): `import.meta.url` and barrel imports. */
const workspaceFiles = {
  name: "workspace-files",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (args.path.split(sep).includes("node_modules")) return undefined;
      const text = readFileSync(args.path, "utf8");
      return { contents: deepImports(args.path, unbundledMetaUrl(args.path, text)), loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

/**
 * zod's `z.locales` (error messages in 40-odd languages, 360 kB of the bundle) is reduced to the
 * English one zod configures itself with: nothing in quantforge switches zod's locale, and a
 * third-party plugin's own zod is not this copy.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[/\\]zod[/\\]v4[/\\](?:classic|core)[/\\]/.test(args.importer) ? { path: join(dirname(args.importer), "../locales/en.js"), namespace: "zod-locales" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: "js", resolveDir: dirname(args.path) }));
  },
};

/** External bare imports of the bundle whose package the runner does not depend on (they would not resolve from dist/). */
function unresolvableExternals(metafile) {
  const deps = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  const missing = new Set();
  for (const out of Object.values(metafile.outputs))
    for (const i of out.imports) {
      if (!i.external || isBuiltin(i.path) || i.path.startsWith(".")) continue;
      const name = i.path.startsWith("@") ? i.path.split("/").slice(0, 2).join("/") : i.path.split("/")[0];
      if (!deps.has(name)) missing.add(name);
    }
  return [...missing];
}

/**
 * The entries, as virtual modules resolved against dist/: the CLI is src/cli.ts itself (its
 * `./main.js` is the compiled one); the `--threads` worker (`dist/tensor-worker.js`, which
 * threads/pool.js starts when it exists) imports the compiled threads/worker.js. Neither reads a
 * file this script writes, so building twice without a new `tsc -b` bundles the same inputs.
 * A bundled worker shares the CLI's chunks and starts in a fraction of the time the ~300
 * compiled modules took (it started after the main thread had read 200 MB of weights).
 */
const ENTRIES = {
  cli: { contents: readFileSync(join(root, "src/cli.ts"), "utf8"), loader: "ts" },
  // No polyfill: the worker loads neither tsyringe nor commander; it imports reflect-metadata
  // itself before third-party plugins (threads/worker.ts, loadPlugins).
  "tensor-worker": { contents: 'await import("./threads/worker.js");\n', loader: "js" },
};
const entries = {
  name: "entries",
  setup(b) {
    b.onResolve({ filter: /^qf-entry:/ }, (args) => ({ path: args.path.slice("qf-entry:".length), namespace: "qf-entry" }));
    b.onLoad({ filter: /.*/, namespace: "qf-entry" }, (args) => ({ ...ENTRIES[args.path], resolveDir: dist }));
  },
};

const result = await build({
  entryPoints: Object.fromEntries(Object.keys(ENTRIES).map((k) => [k, `qf-entry:${k}`])),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: dist,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  // The compiled packages carry "//# sourceMappingURL"; the bundle's maps point back to src/.
  sourcesContent: false,
  external: EXTERNAL,
  // Bundled CommonJS (commander, tsyringe, reflect-metadata) calls require() for Node built-ins.
  banner: { js: 'import { createRequire as __qfCreateRequire } from "node:module";\nconst require = __qfCreateRequire(import.meta.url);' },
  metafile: true,
  write: false,
  plugins: [entries, workspaceFiles, zodEnglishOnly],
  minifyWhitespace: process.env.QF_MINIFY === "1",
  minifySyntax: process.env.QF_MINIFY === "1",
  logLevel: "warning",
});
if (process.env.QF_METAFILE) writeFileSync(process.env.QF_METAFILE, JSON.stringify(result.metafile));
const missing = unresolvableExternals(result.metafile);
if (missing.length > 0) throw new Error(`scripts/bundle.mjs: the bundle imports ${missing.join(", ")}, which apps/runner/package.json does not list as dependencies; add them (same versions as the packages that use them).`);
// Old chunks go only once the new bundle is built: a failed build leaves the previous one whole.
rmSync(join(dist, "chunks"), { recursive: true, force: true });
for (const f of result.outputFiles) {
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, f.contents);
}
