import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { encodeOnnxModel, initializerRawBytes, initializerValues, readOnnxModel, runOnnxModel, unpackMatMulNBits, type OnnxModel, type OnnxWeightOutput, type PackedNbits } from "@quantforge/io-onnx";
import { MATMUL_WEIGHTS, randomInput } from "@quantforge/io-onnx/testing";
import { describe, expect, it } from "vitest";
import { cli, errorCode } from "./__tests__/harness.js";
import { useOnnxMlp } from "./__tests__/onnx-mlp.js";
import type { QuantizeReport } from "./quantize-model.js";

// 64 → 128 → 10 with Add bias and Relu: both MatMul K (64, 128) are multiples of 32.
const m = useOnnxMlp();

async function quantize(args: string[]): Promise<{ code: number; report: QuantizeReport; err: string }> {
  const r = await cli(["quantize", ...args, "--json"]);
  return { code: r.code, err: r.err, report: r.code === 0 ? (JSON.parse(r.out) as QuantizeReport) : (undefined as never) };
}

/** The weights `[K, N]` onnxruntime computes from each MatMulNBits node of a written model (the io-onnx reference unpacker). */
async function nbitsWeightsOf(m: OnnxModel): Promise<Map<string, Float32Array>> {
  const init = new Map(m.initializers.map((i) => [i.name, i]));
  const raw = async (name: string) => (await initializerRawBytes(init.get(name)!))!;
  const out = new Map<string, Float32Array>();
  for (const node of m.nodes.filter((n) => n.opType === "MatMulNBits")) {
    const [, b, s, z] = node.inputs as [string, string, string, string | undefined];
    const { K: k, N: n, bits, block_size: blockSize } = node.ints as Record<string, number>;
    const zInit = z ? init.get(z)! : undefined;
    const p: PackedNbits = {
      k: k!,
      n: n!,
      bits: bits!,
      blockSize: blockSize!,
      blocks: Math.ceil(k! / blockSize!),
      b: await raw(b),
      scales: await initializerValues(init.get(s)!),
      zeroPoints: !zInit ? null : zInit.dataType === 1 ? { kind: "float", data: await initializerValues(zInit) } : { kind: "uint8", data: await raw(z!) },
    };
    out.set(b.replace(/_Q\d$/, ""), unpackMatMulNBits(p));
  }
  return out;
}

const relDiff = (a: Float32Array, b: Float32Array) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
};

describe("quantize --target onnx-nbits", () => {
  it("gptq 4-bit, groups of 32 (the issue's command): MatMulNBits that onnxruntime runs at its default level as the evaluated weights, < 0.2× the float file", async () => {
    const out = m.path("gptq");
    const { code, report, err } = await quantize([m.mlp, "--quantizer", "gptq", "--bits", "4", "--option", "groupSize=32", "--target", "onnx-nbits", "--out", out]);
    expect(code, err).toBe(0);
    expect(report.output.target).toBe("onnx-nbits");
    expect(report.size.after / report.size.before).toBeLessThan(0.2);
    expect(report.model!.reload.matches).toBe(true);
    expect(report.model!.reload.maxRelDiff).toBeLessThanOrEqual(1e-5);
    expect(report.notes.join("\n")).toMatch(/2 MatMul weight\(s\) written as com\.microsoft MatMulNBits \(4-bit, blocks of 32, uint8 zero points\)/);
    expect(report.tensors.filter((r) => r.quantized).map((r) => [r.name, r.shape])).toEqual([
      [MATMUL_WEIGHTS.w1, [64, 128]],
      [MATMUL_WEIGHTS.w2, [128, 10]],
    ]);

    // Independently of the runner: decode the file per onnxruntime's layout, check it is what was
    // evaluated (same weight error as the report), and that ORT's MatMulNBits output equals the
    // float model carrying those weights.
    const written = await readOnnxModel(join(out, "model.onnx"));
    expect(written.nodes.filter((n) => n.opType === "MatMulNBits").map((n) => [n.domain, n.ints])).toEqual([
      ["com.microsoft", { K: 64, N: 128, bits: 4, block_size: 32 }],
      ["com.microsoft", { K: 128, N: 10, bits: 4, block_size: 32 }],
    ]);
    expect(written.nodes.some((n) => n.opType === "MatMul")).toBe(false);
    const orig = await readOnnxModel(m.mlp);
    const decoded = await nbitsWeightsOf(written);
    const floatOut = new Map<string, OnnxWeightOutput>();
    for (const row of report.tensors.filter((r) => r.quantized)) {
      const w = decoded.get(row.name)!,
        o = await initializerValues(orig.initializers.find((i) => i.name === row.name)!);
      let se = 0;
      for (let i = 0; i < w.length; i++) se += (w[i]! - o[i]!) ** 2;
      expect(se / w.length).toBeCloseTo(row.mse!, 12);
      floatOut.set(row.name, { kind: "float", data: w });
    }
    const feeds = [{ name: "x", shape: [32, 64], data: randomInput(11, 32 * 64) }];
    const [yq] = await runOnnxModel(written.bytes, feeds, "nbits");
    const [yf] = await runOnnxModel((await encodeOnnxModel(orig, floatOut, { target: "onnx" })).bytes, feeds, "float");
    expect(relDiff(yq!.data, yf!.data)).toBeLessThanOrEqual(1e-5);
    expect(await readFile(join(out, "report.md"), "utf8")).toMatch(/captured the layer inputs on seeded generated model inputs/);

    // GPTQ's error feedback shows in the outputs: below rtn's on the same grids and groups.
    const rtn = await quantize([m.mlp, "--quantizer", "rtn", "--bits", "4", "--option", "granularity=group", "--option", "groupSize=32", "--option", "zero=exact", "--target", "onnx-nbits", "--out", m.path("rtn")]);
    expect(rtn.code, rtn.err).toBe(0);
    expect(rtn.report.model!.reload.maxRelDiff).toBeLessThanOrEqual(1e-5);
    expect(report.model!.worstRelativeError!).toBeLessThan(rtn.report.model!.worstRelativeError!);
  });

  it("hqq (float zero points) and rtn symmetric 8-bit blocks of 64 run in onnxruntime as evaluated", async () => {
    for (const [name, args, zp] of [
      ["hqq", ["--quantizer", "hqq", "--bits", "4", "--option", "groupSize=32"], "float zero points"],
      ["rtn8", ["--quantizer", "rtn", "--bits", "8", "--option", "granularity=group", "--option", "groupSize=64", "--option", "scheme=symmetric"], "uint8 zero points"],
    ] as const) {
      const { code, report, err } = await quantize([m.mlp, ...args, "--target", "onnx-nbits", "--out", m.path(name)]);
      expect(code, err).toBe(0);
      expect(report.model!.reload).toMatchObject({ matches: true });
      expect(report.model!.reload.maxRelDiff).toBeLessThanOrEqual(1e-5);
      expect(report.notes.join("\n")).toContain(zp);
    }
  });

  it("3-bit codes go into 4-bit MatMulNBits fields, with size advice", async () => {
    const { code, report, err } = await quantize([m.mlp, "--quantizer", "rtn", "--bits", "3", "--option", "granularity=group", "--option", "groupSize=32", "--target", "onnx-nbits", "--out", m.path("rtn3")]);
    expect(code, err).toBe(0);
    expect(report.notes.join("\n")).toMatch(/MatMulNBits \(4-bit, blocks of 32/);
    expect(report.sizeAdvice).toMatch(/3-bit codes take 4 bits each/);
    expect(report.model!.reload.maxRelDiff).toBeLessThanOrEqual(1e-5);
  });

  it("refuses codebooks and groupings MatMulNBits cannot hold with QF_INVALID_OPTIONS, writing nothing", async () => {
    for (const args of [
      ["--quantizer", "nf4"],
      ["--quantizer", "rtn", "--bits", "4", "--option", "granularity=group", "--option", "groupSize=8"],
    ]) {
      const r = await cli(["quantize", m.mlp, ...args, "--target", "onnx-nbits", "--out", m.path("refused")]);
      expect(r.code).toBe(2);
      expect(errorCode(r)).toBe("QF_INVALID_OPTIONS");
      await expect(stat(m.path("refused"))).rejects.toMatchObject({ code: "ENOENT" });
    }
  });
});
