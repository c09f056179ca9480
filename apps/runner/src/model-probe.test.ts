import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedCoder } from "@quantforge/coder-fixed";
import { instantiate } from "@quantforge/core/host";
import { buildOnnxModel, put } from "@quantforge/io-onnx/testing";
import { loadCodedTfjsModel, runTfjsModel, type TfjsRuntime } from "@quantforge/io-tfjs";
import { randomInput, writeGraphModel } from "@quantforge/io-tfjs/testing";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { getTf } from "@quantforge/model-tfjs";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import { modelKind } from "./model-probe.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let graph: string;
let twoOut: string;
let onnx: string;
beforeAll(async () => {
  t = await tempDir();
  graph = await writeGraphModel(t.path("graph"), { seed: 3 });
  // The same graph with a second, unconsumed node: tfjs makes every leaf node a model output.
  twoOut = await writeGraphModel(t.path("two"), { seed: 3 });
  const j = JSON.parse(await readFile(twoOut, "utf8"));
  j.modelTopology.node.push({ name: "aux/Sigmoid", op: "Sigmoid", input: ["conv/Relu"], attr: { T: { type: "DT_FLOAT" } } });
  await writeFile(twoOut, JSON.stringify(j));
  onnx = await put(t.dir, "model.onnx", buildOnnxModel({ seed: 5 }));
});
afterAll(async () => {
  await t.cleanup();
});

interface Cell {
  label: string;
  bits: number;
  status: string;
  error?: { code: string };
  result: { summary: Record<string, number | null> };
}

describe("compare, sensitivity, run and quantize on any tfjs or ONNX model", () => {
  it("tells reference models from other files", () => {
    expect(modelKind("mnist-mlp")).toBe("reference");
    expect(modelKind(graph)).toBe("tfjs");
    expect(modelKind(graph, "x.safetensors")).toBe("tfjs");
    expect(modelKind(onnx)).toBe("onnx");
    expect(modelKind("mnist-mlp", "calib.safetensors")).toBe("tfjs");
  });

  it("compare --model <graph model.json> with rtn and auto at 4 and 8 bits: fidelity per output, no accuracy", async () => {
    const out = t.path("cmp");
    const r = await cli(["compare", "--model", twoOut, "--quantizers", "rtn,auto", "--bits", "4,8", "--evaluators", "sqnr,size,fidelity", "--out", out, "--quiet", "--json"]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as { cells: Cell[]; manifest: { inputs: { role: string }[]; config: Record<string, unknown> } };
    expect(doc.cells.map((c) => [c.label, c.bits, c.status])).toEqual([
      ["rtn", 4, "ok"],
      ["rtn", 8, "ok"],
      ["auto", 4, "ok"],
      ["auto", 8, "ok"],
    ]);
    for (const c of doc.cells) {
      const s = c.result.summary;
      expect(s.outputRelError).toBeGreaterThan(0);
      expect(s["outputRelError:Identity"]).toBeGreaterThan(0);
      expect(s["outputRelError:aux/Sigmoid"]).toBeGreaterThan(0);
      expect(s.outputRelErrorWorst).toBe(Math.max(s["outputRelError:Identity"]!, s["outputRelError:aux/Sigmoid"]!));
      expect(s.fidelitySamples).toBe(32);
      expect("accuracy" in s).toBe(false);
    }
    // 8 bits beat 4 bits on the outputs, for each method.
    expect(doc.cells[1]!.result.summary.outputRelErrorWorst!).toBeLessThan(doc.cells[0]!.result.summary.outputRelErrorWorst!);
    expect(doc.manifest.inputs.map((f) => f.role)).toEqual(["model.json", "weights shard", "weights shard", "weights shard"]);
    expect(doc.manifest.config.data).toBeUndefined();
    const md = await readFile(join(out, "report.md"), "utf8");
    expect(md).toContain("## Model-output fidelity");
    expect(md).toContain("| rel. error Identity | rel. error aux/Sigmoid |");
    const v = await cli(["compare", "--verify", join(out, "results.json"), "--quiet"]);
    expect(v.code, v.out + v.err).toBe(0);
  }, 120_000);

  it("compare on an ONNX model with a calibration file: fidelity runs on the data, the data file is hashed", async () => {
    const data = t.path("calib.safetensors");
    await saveSafetensors(data, [{ name: "x", shape: [12, 2, 5, 5], data: randomInput(4, [12, 2, 5, 5]) }]);
    const r = await cli(["compare", "--model", onnx, "--data", data, "--quantizers", "rtn", "--bits", "4", "--evaluators", "sqnr,fidelity", "--out", t.path("cmp-onnx"), "--quiet", "--json"]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as { cells: Cell[]; manifest: { inputs: { role: string; path: string }[] } };
    expect(doc.cells[0]!.result.summary.fidelitySamples).toBe(12);
    expect(doc.cells[0]!.result.summary.outputRelError).toBeGreaterThan(0);
    expect(doc.manifest.inputs.map((f) => f.role)).toEqual(["model.onnx", "data"]);
  }, 60_000);

  it("sensitivity ranks the tensors of a graph model.json and of an ONNX model", async () => {
    for (const model of [graph, onnx]) {
      const r = await cli(["sensitivity", model, "--quantizer", "rtn", "--bits", "3", "--json"]);
      expect(r.code, r.err).toBe(0);
      const rep = JSON.parse(r.out) as { rows: { rank: number; tensor: string; outputRelErrorWorst: { value: number } }[] };
      expect(rep.rows.map((x) => x.rank)).toEqual([1, 2]);
      expect(rep.rows.map((x) => x.tensor).sort()).toEqual(model === graph ? ["conv/filter", "dense/kernel"] : ["conv.weight", "fc.weight"]);
      expect(rep.rows[0]!.outputRelErrorWorst.value).toBeGreaterThanOrEqual(rep.rows[1]!.outputRelErrorWorst.value);
      expect(rep.rows[1]!.outputRelErrorWorst.value).toBeGreaterThan(0);
    }
  }, 60_000);

  it("run --model <graph model.json> prints the fidelity line; --json has no accuracy block", async () => {
    const r = await cli(["run", "--model", graph, "--quantizer", "rtn", "--bits", "8", "--evaluator", "sqnr,size,fidelity"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/model outputs: relative error \d\.\d{6}, worst output \d\.\d{6}\n/);
    const j = JSON.parse((await cli(["run", "--model", graph, "--quantizer", "rtn", "--bits", "8", "--evaluator", "fidelity", "--json"])).out);
    expect(j.model).toBeUndefined();
    expect(j.summary.outputRelError).toBeGreaterThan(0);
    expect(j.input).toEqual({ model: graph, data: null });
  }, 60_000);

  it("quantize <graph model.json> --quantizer auto: the probe comes from the same file; the written model reloads", async () => {
    const out = t.path("q-auto");
    const r = await cli(["quantize", graph, "--quantizer", "auto", "--option", "bits=4", "--target", "tfjs-coded", "--coder", "fixed", "--out", out, "--json"]);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out) as { quantizer: { id: string }; overall: { quantized: number }; model: { reload: { matches: boolean }; outputs: { relativeError: number }[] }; diagnostics: { source: string }[] };
    expect(rep.quantizer.id).toBe("auto");
    expect(rep.overall.quantized).toBe(2);
    expect(rep.model.reload.matches).toBe(true);
    expect(rep.model.outputs[0]!.relativeError).toBeGreaterThan(0);
    expect(rep.diagnostics.some((d) => d.source === "auto")).toBe(true);
    const tf = (await getTf()) as unknown as TfjsRuntime;
    const m = await loadCodedTfjsModel(join(out, "model.json"), tf, { coders: [instantiate(fixedCoder())] });
    const y = await runTfjsModel(tf, m, [{ name: "x", shape: [2, 4, 4, 2], data: randomInput(1, [2, 4, 4, 2]) }]);
    m.dispose();
    expect(y[0]!.shape).toEqual([2, 10]);
    // The ONNX input works the same way.
    const o = await cli(["quantize", onnx, "--quantizer", "auto", "--option", "bits=4", "--out", t.path("q-onnx"), "--json"]);
    expect(o.code, o.err).toBe(0);
    expect(JSON.parse(o.out).model.reload.matches).toBe(true);
  }, 120_000);

  it("bad inputs: unknown dimension without --input-shape, a data file without the input, a malformed model.json — typed errors, exit 2", async () => {
    const dyn = await writeGraphModel(t.path("dyn"), { seed: 3 });
    const j = JSON.parse(await readFile(dyn, "utf8"));
    j.modelTopology.node[0].attr.shape.shape.dim[1].size = "-1";
    await writeFile(dyn, JSON.stringify(j));
    for (const args of [
      ["sensitivity", dyn, "--quantizer", "rtn", "--bits", "4"],
      ["compare", "--model", dyn, "--quantizers", "rtn", "--bits", "4", "--evaluators", "fidelity", "--out", t.path("x1"), "--quiet"],
      ["run", "--model", dyn, "--quantizer", "rtn", "--evaluator", "fidelity"],
    ]) {
      const r = await cli(args);
      expect([r.code, errorCode(r)], r.err).toEqual([2, "QF_SHAPE_MISMATCH"]);
      expect(r.err).toMatch(/--input-shape x=D,4,2/);
    }
    const ok = await cli(["sensitivity", dyn, "--quantizer", "rtn", "--bits", "4", "--input-shape", "x=4,4,2", "--json"]);
    expect(ok.code, ok.err).toBe(0);
    const okCmp = await cli(["compare", "--model", dyn, "--input-shape", "x=4,4,2", "--quantizers", "rtn", "--bits", "4", "--evaluators", "fidelity", "--out", t.path("x2"), "--quiet", "--json"]);
    expect(okCmp.code, okCmp.err).toBe(0);
    expect(JSON.parse(okCmp.out).manifest.config.inputShapes).toEqual({ x: [4, 4, 2] });
    const bad = await cli(["sensitivity", dyn, "--quantizer", "rtn", "--input-shape", "x=4,4,0"]);
    expect([bad.code, errorCode(bad)]).toEqual([2, "QF_USAGE"]);

    const wrong = t.path("wrong.safetensors");
    await saveSafetensors(wrong, [
      { name: "a", shape: [2, 32], data: new Float32Array(64) },
      { name: "b", shape: [2, 32], data: new Float32Array(64) },
    ]);
    const nodata = await cli(["compare", "--model", graph, "--data", wrong, "--quantizers", "rtn", "--bits", "4", "--evaluators", "fidelity", "--out", t.path("x3"), "--quiet"]);
    expect([nodata.code, errorCode(nodata)]).toEqual([2, "QF_SHAPE_MISMATCH"]);
    expect(nodata.err).toMatch(/no tensor for model input "x"/);

    await mkdir(t.path("bad"), { recursive: true });
    await writeFile(t.path("bad/model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "a", shape: [2], dtype: "float32" }] }] }));
    await writeFile(t.path("bad/w.bin"), new Uint8Array(8));
    for (const args of [
      ["sensitivity", t.path("bad/model.json"), "--quantizer", "rtn"],
      ["compare", "--model", t.path("bad/model.json"), "--quantizers", "rtn", "--bits", "4", "--out", t.path("x4"), "--quiet"],
    ]) {
      const r = await cli(args);
      expect([r.code, errorCode(r)], r.err).toEqual([2, "QF_FORMAT"]);
    }
    await writeFile(t.path("bad/model.json"), "{ not json");
    const nj = await cli(["sensitivity", t.path("bad/model.json"), "--quantizer", "rtn"]);
    expect([nj.code, errorCode(nj)]).toEqual([2, "QF_FORMAT"]);
    const missing = await cli(["sensitivity", t.path("nope.onnx"), "--quantizer", "rtn"]);
    expect([missing.code, errorCode(missing)]).toEqual([2, "QF_IO"]);
  }, 120_000);
});
