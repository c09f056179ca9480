import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForwardOutput, WeightSet } from "@quantforge/core";
import { defaultSelector } from "@quantforge/core/host";
import { encodeOnnxModel, onnxTypes, parseOnnxModel, readOnnxModel, runOnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import { ONNX_WEIGHTS, buildOnnxModel, put, randomInput, scratch } from "@quantforge/io-onnx/testing";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { loadOnnxModelProbe, type OnnxModelProbe } from "./onnx-probe.js";
import { weightsAsInputs } from "./weights-as-inputs.js";

let s: Awaited<ReturnType<typeof scratch>>;
let src: string;
const open: OnnxModelProbe[] = [];
const load = async (...a: Parameters<typeof loadOnnxModelProbe>) => {
  const p = await loadOnnxModelProbe(...a);
  open.push(p);
  return p;
};
beforeAll(async () => {
  s = await scratch();
  src = await put(s.dir, "model.onnx", buildOnnxModel({ seed: 5 }));
});
afterAll(async () => {
  for (const p of open) await p.dispose();
  await s.cleanup();
});

const count = 6;
const x = randomInput(3, count * 2 * 5 * 5);
/**
 * Equal up to float32 rounding: within 4 ulp of the largest output. onnxruntime optimizes a model
 * whose weights are constant initializers (prepacked GEMM/conv weights, fused activations), which
 * can change the last bit of a sum (measured: 4.8e-7 on outputs up to 7.6, 6e-8 relative); with
 * the weights as inputs — what the probe runs, and what an IR-3 file with its weights listed as
 * inputs runs — the outputs are bit-identical (tested below).
 */
function expectUlpClose(a: readonly ForwardOutput[], b: readonly ForwardOutput[]): void {
  expect(a.map((o) => [o.name, o.shape])).toEqual(b.map((o) => [o.name, o.shape]));
  a.forEach((o, i) => {
    const scale = b[i]!.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    o.data.forEach((v, k) => expect(Math.abs(v - b[i]!.data[k]!)).toBeLessThanOrEqual(2 ** -21 * scale));
  });
}
const hex = (o: readonly { name: string; data: Float32Array }[]) => o.map((v) => [v.name, Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString("hex")]);

/** onnxruntime on the original file (weights as initializers), optionally with some replaced. */
async function reference(path: string, replaced: WeightSet = []): Promise<ForwardOutput[]> {
  const m = await readOnnxModel(path);
  const bytes = replaced.length === 0 ? m.bytes : (await encodeOnnxModel(m, new Map<string, OnnxWeightOutput>(replaced.map((t) => [t.name, { kind: "float", data: t.data }])), { target: "onnx" })).bytes;
  return (await runOnnxModel(bytes, [{ name: "x", shape: [count, 2, 5, 5], data: x }])).map((o) => ({ ...o, shape: o.shape.slice(1) }));
}

/** The model with graph input "x" declared as `dims` (strings are symbolic). */
async function withInputDims(bytes: Uint8Array, dims: (number | string)[]): Promise<Uint8Array> {
  const m = await parseOnnxModel(bytes, "m.onnx");
  const { ValueInfoProto } = onnxTypes();
  const vi = ValueInfoProto.encode(ValueInfoProto.fromObject({ name: "x", type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } } } })).finish();
  const parts: Uint8Array[] = [];
  for (const f of m.graphFields) {
    const isX = f.field === 11 && (ValueInfoProto.decode(bytes.subarray(f.valueStart, f.end)) as unknown as { name?: string }).name === "x";
    parts.push(isX ? Uint8Array.from([0x5a, ...varint(vi.length), ...vi]) : bytes.subarray(f.start, f.end));
  }
  const graph = Buffer.concat(parts);
  const out: Uint8Array[] = [];
  for (const f of m.modelFields) {
    if (f.start === m.graphField.start) out.push(Uint8Array.from([0x3a, ...varint(graph.length)]), graph);
    else out.push(bytes.subarray(f.start, f.end));
  }
  return Buffer.concat(out);
}
function varint(n: number): number[] {
  const o: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) o.push((n % 128) | 0x80);
  o.push(n);
  return o;
}

describe("loadOnnxModelProbe", () => {
  it("exposes the float initializers with io-onnx's roles, the input shape and every output", async () => {
    const p = await load(src);
    expect(p.weights.map((t) => [t.name, t.role])).toEqual([
      [ONNX_WEIGHTS.convW, "weight"],
      [ONNX_WEIGHTS.convB, "bias"],
      [ONNX_WEIGHTS.gemmB, "weight"],
      [ONNX_WEIGHTS.gemmC, "bias"],
      [ONNX_WEIGHTS.gain, "other"],
    ]);
    expect(p.weights.filter(defaultSelector).map((t) => t.name)).toEqual([ONNX_WEIGHTS.convW, ONNX_WEIGHTS.gemmB]);
    expect(p.inputShape).toEqual([2, 5, 5]);
    expect(p.calibrationSet).toBeUndefined();
    const outs = await p.forward.predictOutputs(p.weights, x, count);
    expect(outs.map((o) => [o.name, o.shape])).toEqual([["y", [4]]]);
    expect([...(await p.forward.predict(p.weights, x, count))]).toEqual([...outs[0]!.data]);
  });

  it("counts a sample's multiply-accumulates from its convolutions and matrix products, once", async () => {
    const p = await load(src);
    // Conv 3×2×3×3, pads 1, on [2, 5, 5]: 75 outputs × 18; Gemm with B 4×75 (transB): 4 outputs × 75.
    const [macs, again] = await Promise.all([p.forward.macsPerSample!(), p.forward.macsPerSample!()]);
    expect(macs).toBe(75 * 18 + 4 * 75);
    expect(again).toBe(macs);
    const outs = await p.forward.predictOutputs(p.weights, x, count);
    expect(outs.map((o) => [o.name, o.shape])).toEqual([["y", [4]]]);
  });

  for (const ir3 of [false, true]) {
    it(`equals onnxruntime on the original file, also after changing weights${ir3 ? " (weights listed as graph inputs, IR 3 style)" : ""}`, async () => {
      const path = ir3 ? await put(s.dir, "ir3.onnx", buildOnnxModel({ seed: 5, listInitializersAsInputs: true })) : src;
      const p = await load(path);
      const base = await p.forward.predictOutputs(p.weights, x, count);
      const same = ir3 ? (a: readonly ForwardOutput[], b: readonly ForwardOutput[]) => expect(hex(a)).toEqual(hex(b)) : expectUlpClose;
      same(base, await reference(path));
      // A kernel scaled and the FLOAT16 gain changed (fed as halves, as the file would store it).
      const changed = p.weights.map((t) => (t.name === ONNX_WEIGHTS.gemmB ? { ...t, data: Float32Array.from(t.data, (v) => v * 0.75) } : t.name === ONNX_WEIGHTS.gain ? { ...t, data: Float32Array.of(2, -0.5, 1.5, 0.25) } : t));
      const after = await p.forward.predictOutputs(changed, x, count);
      expect(hex(after)).not.toEqual(hex(base));
      same(
        after,
        await reference(
          path,
          changed.filter((t) => t.name === ONNX_WEIGHTS.gemmB || t.name === ONNX_WEIGHTS.gain),
        ),
      );
      // Missing tensors take the float values again.
      expect(hex(await p.forward.predictOutputs([], x, count))).toEqual(hex(base));
    });
  }

  it("the rewritten model keeps no weight initializer and takes every weight as a graph input", async () => {
    const m = await readOnnxModel(src);
    const names = new Set(m.initializers.filter((i) => i.dataType === 1 || i.dataType === 10).map((i) => i.name));
    const r = await parseOnnxModel(await weightsAsInputs(m, names), "r.onnx");
    expect(r.initializers.map((i) => i.name)).toEqual([ONNX_WEIGHTS.shape]);
    expect(r.inputs.map((i) => [i.name, i.elemType, i.shape])).toEqual([
      ["x", 1, [null, 2, 5, 5]],
      [ONNX_WEIGHTS.convW, 1, [3, 2, 3, 3]],
      [ONNX_WEIGHTS.convB, 1, [3]],
      [ONNX_WEIGHTS.gemmB, 1, [4, 75]],
      [ONNX_WEIGHTS.gemmC, 1, [4]],
      [ONNX_WEIGHTS.gain, 10, [4]],
    ]);
    expect(r.nodes).toEqual(m.nodes);
  });

  it("rejects weights that are not the model's or of another size, and inputs of the wrong size", async () => {
    const p = await load(src);
    await expect(p.forward.predictOutputs([{ name: "nope", shape: [1], data: new Float32Array(1) }], x, count)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(p.forward.predictOutputs([{ name: ONNX_WEIGHTS.gemmC, shape: [5], data: new Float32Array(5) }], x, count)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
    await expect(p.forward.predictOutputs(p.weights, x.subarray(1), count)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH" });
  });

  it("an unknown input dimension needs inputShapes (a typed error naming --input-shape) or a data file", async () => {
    const path = await put(s.dir, "dyn.onnx", await withInputDims(buildOnnxModel({ seed: 5 }), ["N", "C", 5, 5]));
    await expect(loadOnnxModelProbe(path)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/--input-shape x=D,5,5/) });
    const p = await load(path, { inputShapes: new Map([["x", [2, 5, 5]]]) });
    expect(p.inputShape).toEqual([2, 5, 5]);
    expectUlpClose(await p.forward.predictOutputs(p.weights, x, count), await reference(src));
    const data = join(s.dir, "x.safetensors");
    await saveSafetensors(data, [{ name: "x", shape: [count, 2, 5, 5], data: x }]);
    const q = await load(path, { data });
    expect([q.calibrationSet!.count, q.calibrationSet!.sampleShape]).toEqual([count, [2, 5, 5]]);
    expect([...q.calibrationSet!.inputs]).toEqual([...x]);
    const other = join(s.dir, "other.safetensors");
    await saveSafetensors(other, [
      { name: "a", shape: [1, 50], data: x.subarray(0, 50) },
      { name: "b", shape: [1, 50], data: x.subarray(0, 50) },
    ]);
    await expect(loadOnnxModelProbe(src, { data: other })).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/no tensor for model input "x"/) });
  });

  it("a malformed or missing file is QF_FORMAT / QF_IO", async () => {
    const bad = join(s.dir, "bad.onnx");
    await writeFile(bad, Uint8Array.of(0x3a, 0xff, 0xff, 0xff, 0x0f));
    await expect(loadOnnxModelProbe(bad)).rejects.toMatchObject({ code: "QF_FORMAT" });
    await expect(loadOnnxModelProbe(join(s.dir, "missing.onnx"))).rejects.toMatchObject({ code: "QF_IO" });
  });
});
