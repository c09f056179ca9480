import { fileURLToPath } from "node:url";
import { builtinModules } from "node:module";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { buildOnnxModel, ONNX_WEIGHTS } from "./testing/index.js";
import { parseOnnxBytes, readOnnxTensor, isWeightInitializer } from "./browser.js";
import { parseOnnxModel } from "./read.js";

/**
 * The browser entry must load in a page: bundled for the browser platform (from the sources,
 * like a bundler with the workspace's source condition), no module of its import graph may name
 * a Node builtin, and onnxruntime-node is not in it.
 */
describe("@quantforge/io-onnx/browser", () => {
  it("bundles for the browser with no Node builtin and no onnxruntime-node", async () => {
    const entry = fileURLToPath(new URL("./browser.ts", import.meta.url));
    const r = await build({
      entryPoints: [entry], bundle: true, write: false, platform: "browser", format: "esm",
      conditions: ["@quantforge/source", "browser"], metafile: true, logLevel: "silent",
    });
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => builtins.has(p) || p.startsWith("node:"))).toEqual([]);
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((p) => p.includes("onnxruntime"))).toEqual([]);
    // Sanity: the bundle really holds the parser and the writer.
    expect(inputs.some((p) => p.endsWith("io-onnx/src/parse.ts"))).toBe(true);
    expect(inputs.some((p) => p.endsWith("io-onnx/src/encode.ts"))).toBe(true);
    expect(inputs.some((p) => p.endsWith("io-onnx/src/session.ts"))).toBe(true);
    expect(r.outputFiles[0]!.text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("reads the same weights from bytes as the Node reader", async () => {
    const bytes = buildOnnxModel({ seed: 3 });
    const [b, n] = await Promise.all([parseOnnxBytes(bytes, "m.onnx"), parseOnnxModel(bytes, "m.onnx")]);
    const wb = await Promise.all(b.initializers.filter(isWeightInitializer).map((i) => readOnnxTensor(b, i)));
    const wn = await Promise.all(n.initializers.filter(isWeightInitializer).map((i) => readOnnxTensor(n, i)));
    expect(wb.map((t) => t.name)).toContain(ONNX_WEIGHTS.convW);
    expect(wb).toEqual(wn);
  });
});
