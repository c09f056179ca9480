import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { saveSafetensors, loadSafetensors } from "@quantforge/io-safetensors";
import { readOnnxModel } from "@quantforge/io-onnx";
import { buildMatMulOnnxModel, buildOnnxModel, put } from "@quantforge/io-onnx/testing";
import { cpuTf, writeGraphModel, writeLayersModel } from "@quantforge/io-tfjs/testing";
import { sampleTensor } from "@quantforge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import type { QuantizeReport } from "./quantize-model.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let graph: string, layers: string, onnx: string, st: string;
beforeAll(async () => {
  process.env.QUANTFORGE_TFJS_BACKEND = "cpu";
  t = await tempDir();
  graph = await writeGraphModel(t.path("graph"), { seed: 4 });
  layers = await writeLayersModel(await cpuTf(), t.path("layers"), 5);
  onnx = await put(t.dir, "model.onnx", buildOnnxModel({ seed: 6 }));
  st = t.path("w.safetensors");
  await saveSafetensors(st, [sampleTensor("a", [64, 32], { dist: "laplace", seed: 1, sigma: 0.1 }), sampleTensor("b", [100], { dist: "gaussian", seed: 2, sigma: 1 })]);
});
afterAll(async () => {
  delete process.env.QUANTFORGE_TFJS_BACKEND;
  await t.cleanup();
});

async function quantize(args: string[]): Promise<{ code: number; report: QuantizeReport; err: string }> {
  const r = await cli(["quantize", ...args, "--json"]);
  return { code: r.code, err: r.err, report: r.code === 0 ? (JSON.parse(r.out) as QuantizeReport) : (undefined as never) };
}

describe("quantforge quantize", () => {
  it("tfjs graph model, tfjs-affine uint8, tfjs-native: stock tfjs reloads it to the evaluated outputs", async () => {
    const out = t.path("native");
    const { code, report, err } = await quantize([graph, "--quantizer", "tfjs-affine", "--target", "tfjs-native", "--out", out]);
    expect(code, err).toBe(0);
    expect(report.model!.reload).toMatchObject({ matches: true, maxAbsDiff: 0 });
    expect(report.model!.reload.runtime).toMatch(/stock tfjs/);
    expect(report.tensors.filter((x) => x.quantized).map((x) => x.name)).toEqual(["conv/filter", "dense/kernel"]);
    expect(report.size.after).toBeLessThan(report.size.before);
    expect((await readdir(out)).sort()).toEqual(["group1-shard1of1.bin", "model.json", "report.json", "report.md"]);
    const json = JSON.parse(await readFile(join(out, "model.json"), "utf8")) as { weightsManifest: { weights: { name: string; quantization?: { dtype: string } }[] }[] };
    expect(json.weightsManifest[0]!.weights.filter((w) => w.quantization).map((w) => [w.name, w.quantization!.dtype])).toEqual([
      ["conv/filter", "uint8"],
      ["dense/kernel", "uint8"],
    ]);
    expect(await readFile(join(out, "report.md"), "utf8")).toMatch(/Reload check .* matches/);
  });

  it("sub-8-bit + Huffman through the coded loader, layers and graph models; deterministic reports", async () => {
    for (const [model, name] of [
      [graph, "g"],
      [layers, "l"],
    ] as const) {
      const a = await quantize([model, "--quantizer", "uniform-mse", "--bits", "3", "--coder", "huffman", "--out", t.path(`coded-${name}`)]);
      expect(a.code, a.err).toBe(0);
      expect(a.report.output.target).toBe("tfjs-coded");
      expect(a.report.model!.reload).toMatchObject({ matches: true, maxAbsDiff: 0 });
      expect(a.report.model!.outputs[0]!.relativeError).toBeGreaterThan(0);
      const b = await quantize([model, "--quantizer", "uniform-mse", "--bits", "3", "--coder", "huffman", "--out", t.path(`coded-${name}-2`)]);
      const strip = (r: QuantizeReport) => ({ ...r, output: { ...r.output, dir: "" }, timing: null });
      expect(strip(b.report)).toEqual(strip(a.report));
    }
  });

  it("ONNX: onnx-qdq with rtn 8-bit per channel, verified with onnxruntime-node", async () => {
    const { code, report, err } = await quantize([onnx, "--quantizer", "rtn", "--bits", "8", "--option", "granularity=channel", "--option", "axis=0", "--target", "onnx-qdq", "--out", t.path("qdq")]);
    expect(code, err).toBe(0);
    expect(report.model!.reload.matches).toBe(true);
    expect(report.model!.reload.runtime).toMatch(/onnxruntime-node/);
    expect(report.notes.join(" ")).toMatch(/2 initializer\(s\) written as uint8 \+ DequantizeLinear/);
    // A dataset instead of random inputs: the samples come from the file.
    await saveSafetensors(t.path("inputs.safetensors"), [sampleTensor("x", [3, 2, 5, 5], { dist: "uniform", seed: 8, sigma: 1 })]);
    const d = await quantize([onnx, "--quantizer", "rtn", "--bits", "8", "--target", "onnx", "--data", t.path("inputs.safetensors"), "--out", t.path("qdata")]);
    expect(d.code, d.err).toBe(0);
    expect(d.report.model!.inputSource).toBe("dataset inputs.safetensors");
    expect(d.report.model!.inputs).toEqual([{ name: "x", shape: [3, 2, 5, 5] }]);
    expect(d.report.model!.reload.maxAbsDiff).toBe(0);
  });

  it("ONNX: onnx-qdq with rtn 8-bit per group is blocked DequantizeLinear on opset 21; opset 13 writes floats, or is refused with QF_USAGE under --strict-target", async () => {
    const args = ["--quantizer", "rtn", "--bits", "8", "--option", "granularity=group", "--option", "groupSize=32", "--target", "onnx-qdq"];
    const mm21 = await put(t.dir, "mm21.onnx", buildMatMulOnnxModel({ seed: 7 }));
    const { code, report, err } = await quantize([mm21, ...args, "--out", t.path("qdq-group")]);
    expect(code, err).toBe(0);
    expect(report.model!.reload.matches).toBe(true);
    expect(report.model!.reload.runtime).toMatch(/onnxruntime-node/);
    expect(report.notes.join(" ")).toMatch(/2 initializer\(s\) written as uint8 \+ DequantizeLinear/);
    expect(report.size.after).toBeLessThan(report.size.before);
    const written = await readOnnxModel(join(t.path("qdq-group"), "model.onnx"));
    expect(written.nodes.filter((n) => n.opType === "DequantizeLinear").map((n) => n.ints)).toEqual([
      { axis: 1, block_size: 32 },
      { axis: 1, block_size: 32 },
    ]);
    const mm13 = await put(t.dir, "mm13.onnx", buildMatMulOnnxModel({ seed: 7, opset: 13 }));
    // Without --strict-target (issue 15): written, those tensors as decoded floats, with a warning.
    const f = await cli(["quantize", mm13, ...args, "--out", t.path("qdq-group-13-float")]);
    expect(f.code, f.err).toBe(0);
    expect(f.err).toMatch(/warning: 2 quantized tensor\(s\) cannot be written as DequantizeLinear and were written as decoded floats, e\.g\. .*needs opset 21 or later/);
    const fr = JSON.parse(await readFile(join(t.path("qdq-group-13-float"), "report.json"), "utf8")) as QuantizeReport;
    expect(fr.floatFallback!.map((x) => x.name)).toHaveLength(2);
    expect(fr.model!.reload.matches).toBe(true);
    expect(await readFile(join(t.path("qdq-group-13-float"), "report.md"), "utf8")).toMatch(/\*\*Written as decoded floats\*\* \(onnx-qdq cannot express them\)/);
    const r = await cli(["quantize", mm13, ...args, "--strict-target", "--out", t.path("qdq-group-13")]);
    expect(r.code, r.err).toBe(2);
    expect(errorCode(r)).toBe("QF_USAGE");
    expect(r.err).toMatch(/needs opset 21 or later, but the model declares opset 13/);
    expect(await readdir(t.dir)).not.toContain("qdq-group-13");
  });

  it("ONNX without --target: the smallest target the opset allows (onnx-qdq from opset 10, else onnx)", async () => {
    const dflt = await quantize([onnx, "--quantizer", "rtn", "--bits", "8", "--out", t.path("dflt-13")]);
    expect(dflt.code, dflt.err).toBe(0);
    expect(dflt.report.output.target).toBe("onnx-qdq");
    expect(dflt.report.notes.join(" ")).toMatch(/initializer\(s\) written as uint8 \+ DequantizeLinear/);
    expect(dflt.report.model!.reload.matches).toBe(true);
    const old = await put(t.dir, "opset9.onnx", buildOnnxModel({ seed: 6, opset: 9 }));
    const o9 = await quantize([old, "--quantizer", "rtn", "--bits", "8", "--out", t.path("dflt-9")]);
    expect(o9.code, o9.err).toBe(0);
    expect(o9.report.output.target).toBe("onnx");
  });

  it("ONNX MatMul weights, onnx-qdq per tensor and per output channel: the file is checked at ORT's basic level and ORT's fused default is reported", async () => {
    const mm = await put(t.dir, "mm-pt.onnx", buildMatMulOnnxModel({ seed: 8 }));
    for (const [dir, extra] of [
      ["qdq-mm-tensor", []],
      ["qdq-mm-channel", ["--option", "granularity=channel"]],
    ] as const) {
      const { code, report, err } = await quantize([mm, "--quantizer", "rtn", "--bits", "8", ...extra, "--target", "onnx-qdq", "--out", t.path(dir)]);
      expect(code, err).toBe(0);
      expect(report.model!.reload.matches).toBe(true);
      expect(report.model!.reload.runtime).toMatch(/basic/);
      expect(report.model!.reload.defaultOptimization!.maxAbsDiff).toBeGreaterThanOrEqual(0);
    }
    const written = await readOnnxModel(join(t.path("qdq-mm-channel"), "model.onnx"));
    // "output" = the last axis of a MatMul B [K, N].
    expect(written.nodes.filter((n) => n.opType === "DequantizeLinear").map((n) => n.ints?.axis)).toEqual([1, 1]);
  });

  it("safetensors → qf (streamed) that quantforge decode restores; joint quantizers say they hold everything", async () => {
    const out = t.path("qf");
    const { code, report, err } = await quantize([st, "--quantizer", "uniform-mse", "--bits", "4", "--coder", "huffman", "--out", out]);
    expect(code, err).toBe(0);
    expect(report.mode).toBe("per-tensor streaming");
    expect(report.model).toBeNull();
    expect(report.size.after).toBe((await readFile(join(out, "model.qf"))).length);
    const dec = await cli(["decode", join(out, "model.qf"), "--out", t.path("back.safetensors")]);
    expect(dec.code, dec.err).toBe(0);
    const back = await loadSafetensors(t.path("back.safetensors"));
    expect(back.map((x) => x.name)).toEqual(["a", "b"]);
    const joint = await quantize([st, "--quantizer", "hessian-ecsq", "--bits", "3", "--option", "importance=none", "--target", "safetensors-float", "--out", t.path("joint")]);
    expect(joint.code, joint.err).toBe(0);
    expect(joint.report.mode).toBe("joint (whole weight set in memory)");
    expect(joint.report.notes.join(" ")).toMatch(/whole selected weight set was held in memory/);
  });

  it("bad input: usage and format errors, nothing left behind", async () => {
    const before = (await readdir(t.dir)).sort();
    const cases: [string[], string, string][] = [
      [[graph, "--quantizer", "rtn", "--target", "onnx", "--out", t.path("x1")], "QF_USAGE", "does not apply to tfjs input"],
      [[graph, "--quantizer", "rtn", "--target", "tfjs-native", "--coder", "huffman", "--out", t.path("x2")], "QF_USAGE", "--coder applies to the coded targets"],
      [[graph, "--quantizer", "rtn", "--option", "granularity=channel", "--option", "axis=-1", "--target", "tfjs-native", "--out", t.path("x3")], "QF_USAGE", "tfjs-coded"],
      [[graph, "--quantizer", "rtn", "--out", t.path("graph")], "QF_USAGE", "already exists and is not empty"],
      [[t.path("w.bin"), "--quantizer", "rtn", "--out", t.path("x4")], "QF_USAGE", "cannot tell the format"],
    ];
    for (const [args, code, msg] of cases) {
      const r = await cli(["quantize", ...args]);
      expect(r.code, r.err).toBe(2);
      expect(errorCode(r)).toBe(code);
      expect(r.err).toContain(msg);
    }
    const broken = t.path("broken.json");
    await writeFile(broken, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["nope.bin"], weights: [{ name: "w", shape: [2], dtype: "float32" }] }] }));
    const r = await cli(["quantize", broken, "--quantizer", "rtn", "--out", t.path("x5")]);
    expect([r.code, errorCode(r)]).toEqual([2, "QF_FORMAT"]);
    expect((await readdir(t.dir)).filter((n) => !n.startsWith("broken")).sort()).toEqual(before);
  });
});
