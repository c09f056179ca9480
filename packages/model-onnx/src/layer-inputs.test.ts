import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSamples } from "@quantforge/datasets";
import { MATMUL_WEIGHTS, buildMatMulOnnxModel, buildOnnxModel, put, scratch } from "@quantforge/io-onnx/testing";
import { MAX_LAYER_INPUT_ROWS, layerInputRows } from "./layer-inputs.js";
import { loadOnnxModelProbe, type OnnxModelProbe } from "./onnx-probe.js";

let s: Awaited<ReturnType<typeof scratch>>;
const open: OnnxModelProbe[] = [];
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  for (const p of open) await p.dispose();
  await s.cleanup();
});

/** x·W + b, Relu, row-major (the reference for the second layer's inputs). */
function denseRelu(x: Float32Array, rows: number, w: Float32Array, b: Float32Array, k: number, n: number): Float32Array {
  const y = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < n; c++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += x[r * k + i]! * w[i * n + c]!;
      y[r * n + c] = Math.max(0, acc + b[c]!);
    }
  return y;
}

describe("ONNX probe layer inputs", () => {
  it("lists MatMul layers [fan-in, fan-out] in forward order and captures what each sees, under any weight set", async () => {
    const p = await loadOnnxModelProbe(await put(s.dir, "mm.onnx", buildMatMulOnnxModel({ seed: 2 })), { seed: 5 });
    open.push(p);
    expect(p.layers!.map((l) => [l.weight, l.fanIn, l.fanOut, l.kind])).toEqual([
      [MATMUL_WEIGHTS.w1, 64, 96, "dense"],
      [MATMUL_WEIGHTS.w2, 96, 32, "dense"],
    ]);
    const [l1, l2] = p.layers!;
    // Without data: the seeded generated inputs, the same the output check feeds for that seed.
    const x = await p.layerInputs!.layerInputs(l1!.name, 12);
    expect([x.rows, x.cols]).toEqual([12, 64]);
    expect(x.data).toEqual(generateSamples(p.layout, 12, 5));
    const w = (name: string) => p.weights.find((t) => t.name === name)!.data;
    const h = await p.layerInputs!.layerInputs(l2!.name, 12);
    const want = denseRelu(x.data, 12, w(MATMUL_WEIGHTS.w1), w(MATMUL_WEIGHTS.b1), 64, 96);
    h.data.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!))));
    // A changed first layer changes what the second sees.
    const zeroed = p.weights.map((t) => (t.name === MATMUL_WEIGHTS.w1 ? { ...t, data: new Float32Array(t.data.length) } : t));
    const h0 = await p.layerInputs!.layerInputs(l2!.name, 12, zeroed);
    const b = w(MATMUL_WEIGHTS.b1);
    h0.data.forEach((v, i) => expect(v).toBe(Math.max(0, b[i % 96]!)));
    await expect(p.layerInputs!.layerInputs("nope", 4)).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS" });
  });

  it("lists no Conv or transposed-Gemm layers (their kernels are not [fan-in, fan-out])", async () => {
    const p = await loadOnnxModelProbe(await put(s.dir, "conv.onnx", buildOnnxModel({ seed: 2 })), { inputShapes: new Map([["x", [2, 5, 5]]]) });
    open.push(p);
    expect(p.layers).toBeUndefined();
    expect(p.layerInputs).toBeUndefined();
  });

  it("samples at most MAX_LAYER_INPUT_ROWS rows, seeded and in order", () => {
    const rows = MAX_LAYER_INPUT_ROWS + 1000,
      k = 3;
    const data = Float32Array.from({ length: rows * k }, (_, i) => Math.floor(i / k));
    const layer = { name: "l", kind: "dense" as const, weight: "w", fanIn: k, fanOut: 2, input: "a" };
    const a = layerInputRows(layer, { shape: [rows, k], data }, 1),
      b = layerInputRows(layer, { shape: [rows, k], data }, 1);
    expect(a.rows).toBe(MAX_LAYER_INPUT_ROWS);
    expect(a.data).toEqual(b.data);
    const picked = Array.from({ length: a.rows }, (_, r) => a.data[r * k]!);
    expect(picked.every((v, i) => i === 0 || v > picked[i - 1]!)).toBe(true);
    expect(layerInputRows(layer, { shape: [rows, k], data }, 2).data).not.toEqual(a.data);
    expect(() => layerInputRows({ ...layer, fanIn: 4 }, { shape: [rows, k], data }, 1)).toThrow(/fan-in 4/);
  });
});
