import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { browserBundle } from "../../../tooling/vitest-config/browser-bundle.js";
import { buildOnnxModel, ONNX_WEIGHTS } from "./testing/index.js";
import { encodeModel, vi } from "./testing/fixtures.js";
import { parseOnnxBytes, readOnnxTensor, isWeightInitializer } from "./browser.js";
import { parseOnnxModel } from "./read.js";

/**
 * The browser entry must load in a page: bundled for the browser platform (from the sources,
 * like a bundler with the workspace's source condition), no module of its import graph may name
 * a Node builtin, and onnxruntime-node is not in it.
 */
describe("@quantforge/io-onnx/browser", () => {
  it("bundles for the browser with no Node builtin and no onnxruntime-node", async () => {
    const b = await browserBundle(build, new URL("./browser.ts", import.meta.url));
    expect(b.nodeImports).toEqual([]);
    expect(b.inputs.filter((p) => p.includes("onnxruntime"))).toEqual([]);
    // Sanity: the bundle really holds the parser and the writer.
    for (const f of ["parse.ts", "encode.ts", "session.ts"]) expect(b.inputs.some((p) => p.endsWith(`io-onnx/src/${f}`))).toBe(true);
    expect(b.text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it("reads the same weights from bytes as the Node reader", async () => {
    const bytes = buildOnnxModel({ seed: 3 });
    const [b, n] = await Promise.all([parseOnnxBytes(bytes, "m.onnx"), parseOnnxModel(bytes, "m.onnx")]);
    const wb = await Promise.all(b.initializers.filter(isWeightInitializer).map((i) => readOnnxTensor(b, i)));
    const wn = await Promise.all(n.initializers.filter(isWeightInitializer).map((i) => readOnnxTensor(n, i)));
    expect(wb.map((t) => t.name)).toContain(ONNX_WEIGHTS.convW);
    expect(wb).toEqual(wn);
  });

  it("refuses external data from bytes with QF_FORMAT (a page has only the one file)", async () => {
    const bytes = encodeModel({
      ir_version: 8,
      opset_import: [{ domain: "", version: 13 }],
      graph: {
        name: "ext",
        input: [vi("x", ["N", 2])],
        output: [vi("y", ["N", 2])],
        node: [{ op_type: "MatMul", input: ["x", "W"], output: ["y"] }],
        initializer: [
          {
            name: "W",
            dims: [2, 2],
            data_type: 1,
            data_location: 1,
            external_data: [
              { key: "location", value: "w.bin" },
              { key: "length", value: "16" },
            ],
          },
        ],
      },
    });
    const e = await parseOnnxBytes(bytes, "m.onnx").then(
      () => {
        throw new Error("expected a rejection, but parseOnnxBytes fulfilled");
      },
      (err: unknown) => err as Error & { code?: string },
    );
    expect(e.code).toBe("QF_FORMAT");
    expect(e.message).toMatch(/^m\.onnx: initializer "W" is stored in an external data file \("w\.bin"\)/);
  });
});
