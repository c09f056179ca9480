import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * `@quantforge/io-tfjs/browser` (the playground's reader, runner and in-memory writer) bundled for
 * the browser platform from the sources: no module of its import graph names a Node builtin, no
 * coder package comes along, and the in-memory writer and the shared per-entry encoding are in.
 */
describe("@quantforge/io-tfjs/browser import graph", () => {
  it("bundles for the browser with no Node builtin and no coder package", async () => {
    const entry = fileURLToPath(new URL("./browser.ts", import.meta.url));
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      conditions: ["@quantforge/source", "browser"],
      metafile: true,
      logLevel: "silent",
      external: ["@tensorflow/tfjs"],
    });
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => builtins.has(p) || p.startsWith("node:"))).toEqual([]);
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((p) => /coder-(rans|huffman|fixed)\//.test(p))).toEqual([]);
    for (const f of ["memory.ts", "entry-encode.ts", "parse.ts", "run-model.ts", "native.ts"]) expect(inputs.some((p) => p.endsWith(`io-tfjs/src/${f}`))).toBe(true);
    expect(r.outputFiles[0]!.text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });
});
