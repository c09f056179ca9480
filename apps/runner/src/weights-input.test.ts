import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOnnxModel, put } from "@quantforge/io-onnx/testing";
import { loadOnnxWeights } from "@quantforge/io-onnx";
import { loadTfjsWeights } from "@quantforge/io-tfjs";
import { writeGraphModel } from "@quantforge/io-tfjs/testing";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";

/**
 * `--weights` takes the files people have: besides safetensors, an ONNX model or a tfjs
 * model.json is read for its weights alone (no network run), the same tensors `--model` sees.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
let onnx: string, graph: string;
beforeAll(async () => {
  t = await tempDir();
  onnx = await put(t.dir, "model.onnx", buildOnnxModel({ seed: 5 }));
  graph = await writeGraphModel(t.path("graph"), { seed: 3 });
});
afterAll(async () => {
  await t.cleanup();
});

describe("run --weights on model files", () => {
  for (const [kind, file, load] of [
    ["ONNX", () => onnx, loadOnnxWeights],
    ["tfjs graph model.json", () => graph, loadTfjsWeights],
  ] as const) {
    it(`quantizes every weight of a ${kind} and decodes what it evaluated`, async () => {
      const expected = await load(file());
      const out = t.path(`${kind.length}.qf`);
      const r = await cli(["run", "--weights", file(), "--quantizer", "rtn", "--bits", "8", "--all-tensors", "--out", out, "--json"]);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as { tensors: { name: string; count: number }[]; summary: { count: number } };
      expect(report.tensors.map((x) => x.name).sort()).toEqual(expected.map((x) => x.name).sort());
      expect(report.summary.count).toBe(expected.reduce((a, x) => a + x.data.length, 0));
      const back = await cli(["decode", out, "--out", t.path(`${kind.length}.safetensors`)]);
      expect(back.code, back.err).toBe(0);
    }, 60_000);
  }

  it("a malformed .onnx given as --weights is a typed format error, not a safetensors one", async () => {
    const bad = await put(t.dir, "bad.onnx", new Uint8Array([0x08, 0x07, 0x12, 0xff, 0xff]));
    const r = await cli(["run", "--weights", bad, "--quantizer", "rtn"]);
    expect(r.code).toBe(2);
    expect(errorCode(r)).toBe("QF_FORMAT");
    expect(r.err).not.toMatch(/safetensors/);
  });
});
