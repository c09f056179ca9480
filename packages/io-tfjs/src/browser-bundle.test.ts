import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The browser entry must load in a page: bundled for the browser platform (from the sources,
 * like a bundler with the workspace's source condition), no module of its import graph may name
 * a Node builtin, and it pulls in no coder package (the caller passes coders by id).
 */
describe("@quantforge/io-tfjs/coded-browser import graph", () => {
  it("bundles for the browser with no Node builtin and no coder package", async () => {
    const entry = fileURLToPath(new URL("./coded-browser.ts", import.meta.url));
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      conditions: ["@quantforge/source", "browser"],
      metafile: true,
      logLevel: "silent",
      // tfjs is the page's own (a peer); only its types are imported here.
      external: ["@tensorflow/tfjs"],
    });
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => builtins.has(p) || p.startsWith("node:"))).toEqual([]);
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((p) => /coder-(rans|huffman|fixed)\//.test(p))).toEqual([]);
    // Sanity: the bundle really contains the loader and core's container decoder.
    expect(inputs.some((p) => p.endsWith("io-tfjs/src/coded-impl.ts"))).toBe(true);
    expect(inputs.some((p) => p.endsWith("core/src/container.ts"))).toBe(true);
    expect(r.outputFiles[0]!.text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });
});
