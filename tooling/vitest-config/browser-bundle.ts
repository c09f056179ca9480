import { builtinModules } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { build as esbuildBuild } from "esbuild";

/** What a browser bundle of an entry pulls in. */
export interface BrowserBundle {
  /** Every module of the import graph (absolute paths: a test's checks do not depend on the directory it runs from). */
  readonly inputs: readonly string[];
  /** Imports that name a Node builtin (`fs`, `node:path`, …): must be empty for a browser entry. */
  readonly nodeImports: readonly string[];
  /** The bundled code. */
  readonly text: string;
}

/**
 * Bundles `entry` for the browser platform from the sources (the workspace's source condition, as
 * a page's bundler would with `browser`), so a test can assert that a browser entry's import graph
 * names no Node builtin and leaves out what it must not pull in (coders, onnxruntime-node). The
 * caller passes esbuild's `build` (its own devDependency), so this preset needs no dependency.
 */
export async function browserBundle(build: typeof esbuildBuild, entry: URL, external: string[] = []): Promise<BrowserBundle> {
  const r = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    conditions: ["@quantforge/source", "browser"],
    metafile: true,
    logLevel: "silent",
    external,
  });
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
  return {
    inputs: Object.keys(r.metafile.inputs).map((p) => resolve(p)),
    nodeImports: imports.filter((p) => builtins.has(p) || p.startsWith("node:")),
    text: r.outputFiles[0]?.text ?? "",
  };
}
