import { ErrorCodes, codebookMap, resolveChannelAxis, type QuantizerPlugin, type WeightTensor } from "@quantforge/core";
import { defaultSelector, runPipeline } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MATMUL_WEIGHTS, ONNX_WEIGHTS, buildMatMulOnnxModel, buildOnnxModel, put, randomInput, scratch } from "./testing/fixtures.js";
import { initializerRawBytes, loadOnnxWeights, parseOnnxModel, readOnnxModel, streamOnnxWeights, type OnnxModel } from "./read.js";
import { runOnnxModel, type OnnxOutput } from "./run.js";
import { encodeOnnxModel, writeOnnxModel, type OnnxTarget, type OnnxWeightOutput } from "./write.js";

let s: Awaited<ReturnType<typeof scratch>>;
let src: string;
beforeAll(async () => {
  s = await scratch();
  src = await put(s.dir, "model.onnx", buildOnnxModel({ seed: 5 }));
});
afterAll(async () => {
  await s.cleanup();
});

const x = randomInput(3, 2 * 2 * 5 * 5);
const run = (bytes: Uint8Array) => runOnnxModel(bytes, [{ name: "x", shape: [2, 2, 5, 5], data: x }]);

async function quantize(m: OnnxModel, plugin: QuantizerPlugin, options: Record<string, unknown>, select = defaultSelector) {
  const weights: WeightTensor[] = [];
  for await (const t of streamOnnxWeights(m)) weights.push(t);
  const r = await runPipeline({ weights, quantizer: { plugin, options }, select });
  const cbs = codebookMap(r.quantized);
  const outputs = new Map<string, OnnxWeightOutput>(r.quantized.tensors.map((t) => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  const decoded = new Map<string, OnnxWeightOutput>(r.decoded.filter((t) => r.quantizedNames.has(t.name)).map((t) => [t.name, { kind: "float", data: t.data }]));
  return { outputs, decoded };
}

function expectClose(a: OnnxOutput[], b: OnnxOutput[], tol: number): void {
  expect(a.map((o) => o.shape)).toEqual(b.map((o) => o.shape));
  a.forEach((o, i) => o.data.forEach((v, k) => expect(Math.abs(v - b[i]!.data[k]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(v)))));
}

describe("readOnnxModel", () => {
  it("reads FLOAT/FLOAT16 initializers from raw_data and float_data and tags them from the graph", async () => {
    const m = await readOnnxModel(src);
    expect(m.opset).toBe(13);
    expect(m.inputs.map((i) => [i.name, i.shape])).toEqual([["x", [null, 2, 5, 5]]]);
    const ws = await loadOnnxWeights(src);
    expect(ws.map((t) => [t.name, t.role, t.layerKind])).toEqual([
      [ONNX_WEIGHTS.convW, "weight", "conv2d"],
      [ONNX_WEIGHTS.convB, "bias", "conv2d"],
      [ONNX_WEIGHTS.gemmB, "weight", "dense"],
      [ONNX_WEIGHTS.gemmC, "bias", "dense"],
      [ONNX_WEIGHTS.gain, "other", undefined],
    ]);
    expect([...ws[4]!.data]).toEqual([1, 0.5, -1.25, 2]);
  });

  it("records the output/input channel axes of weights in ONNX layouts (Conv [M, C, kh, kw]; Gemm B with transB [N, K])", async () => {
    const ws = await loadOnnxWeights(src);
    const conv = ws.find((t) => t.name === ONNX_WEIGHTS.convW)!,
      gemm = ws.find((t) => t.name === ONNX_WEIGHTS.gemmB)!;
    expect([conv.outputAxis, conv.inputAxis]).toEqual([0, 1]);
    expect([gemm.outputAxis, gemm.inputAxis]).toEqual([-2, -1]);
    expect(resolveChannelAxis(conv, "output", "t")).toBe(0);
    expect(resolveChannelAxis(gemm, "output", "t")).toBe(0);
    expect(ws.find((t) => t.name === ONNX_WEIGHTS.gain)!.outputAxis).toBeUndefined();
  });

  it("turns malformed protobuf and inconsistent initializers into FormatError", async () => {
    const good = buildOnnxModel();
    for (const bad of [good.subarray(0, good.length - 7), Uint8Array.of(0x3a, 0xff, 0xff, 0xff, 0x0f), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff), new Uint8Array(0)]) {
      const e = await parseOnnxModel(bad, "bad.onnx").catch((err: unknown) => err);
      expect((e as { code?: string }).code, String(e)).toBe(ErrorCodes.FORMAT);
    }
  });

  it("rejects raw_data that does not match dims", async () => {
    const bytes = buildOnnxModel();
    // Find "fc.bias" float_data (4 floats) and claim 5 dims instead: dims field value 4 → 5.
    const m = await parseOnnxModel(bytes, "m.onnx");
    const fc = m.initializers.find((i) => i.name === ONNX_WEIGHTS.gemmB)!;
    const copy = bytes.slice();
    // dims are the first field of the TensorProto: tag 0x08, then 4, tag 0x08, then 75.
    expect([copy[fc.wire.valueStart], copy[fc.wire.valueStart + 1]]).toEqual([0x08, 4]);
    copy[fc.wire.valueStart + 1] = 5;
    const e = await parseOnnxModel(copy, "m.onnx").catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/initializer "fc.weight" has 1200 bytes of raw_data but dims \[5, 75\] need 1500/);
  });
});

describe("writing", () => {
  it("rewrites nothing when nothing is replaced", async () => {
    const m = await readOnnxModel(src);
    expect(Buffer.compare((await encodeOnnxModel(m, new Map(), { target: "onnx" })).bytes, m.bytes)).toBe(0);
  });

  it("onnx: decoded weights in place, every other byte kept; onnxruntime runs it", async () => {
    const m = await readOnnxModel(src);
    const q = await quantize(m, uniformMseQuantizer(), { bits: 3 });
    const r = await writeOnnxModel(`${s.dir}/u3.onnx`, m, q.outputs, { target: "onnx" });
    const back = await readOnnxModel(`${s.dir}/u3.onnx`);
    // Same graph apart from the two replaced initializers.
    const keep = (mm: OnnxModel) => mm.graphFields.filter((f) => f.field !== 5).map((f) => [...mm.bytes.subarray(f.start, f.end)]);
    expect(keep(back)).toEqual(keep(m));
    for (const name of [ONNX_WEIGHTS.convB, ONNX_WEIGHTS.shape, ONNX_WEIGHTS.gemmC, ONNX_WEIGHTS.gain]) {
      const a = m.initializers.find((i) => i.name === name)!,
        b = back.initializers.find((i) => i.name === name)!;
      expect([...back.bytes.subarray(b.wire.start, b.wire.end)]).toEqual([...m.bytes.subarray(a.wire.start, a.wire.end)]);
    }
    const predicted = await run((await encodeOnnxModel(m, q.decoded, { target: "onnx" })).bytes);
    expect(await run(r.bytes)).toEqual(predicted);
    const original = await run(m.bytes);
    expect(original[0]!.data.some((v, i) => v !== predicted[0]!.data[i])).toBe(true);
  });

  for (const [label, opts] of [
    ["per tensor", { bits: 8 }],
    ["per axis", { bits: 8, granularity: "channel", axis: 0 }],
  ] as const) {
    it(`onnx-qdq (${label}): uint8 + scale + zero point + DequantizeLinear; outputs match the decoded weights`, async () => {
      for (const asInputs of [false, true]) {
        const path = await put(s.dir, `qdq-src-${asInputs}.onnx`, buildOnnxModel({ seed: 9, listInitializersAsInputs: asInputs }));
        const m = await readOnnxModel(path);
        const q = await quantize(m, rtnQuantizer(), opts);
        const r = await encodeOnnxModel(m, q.outputs, { target: "onnx-qdq" as OnnxTarget });
        expect([...r.qdq].sort()).toEqual([ONNX_WEIGHTS.convW, ONNX_WEIGHTS.gemmB].sort());
        const back = await parseOnnxModel(r.bytes, "qdq.onnx");
        const dq = back.nodes.filter((n) => n.opType === "DequantizeLinear");
        expect(dq.map((n) => n.outputs[0])).toEqual([ONNX_WEIGHTS.convW, ONNX_WEIGHTS.gemmB]);
        expect(back.nodes.slice(0, 2)).toEqual(dq);
        const qi = back.initializers.find((i) => i.name === `${ONNX_WEIGHTS.gemmB}_quantized`)!;
        expect([qi.dataType, qi.dims]).toEqual([2, [4, 75]]);
        expect(back.initializers.find((i) => i.name === `${ONNX_WEIGHTS.gemmB}_scale`)!.dims).toEqual(label === "per axis" ? [4] : []);
        // 318 float32 weights (1272 bytes) become 318 bytes; scales, zero points, names and two nodes cost ~300.
        expect(r.bytes.length).toBeLessThan(m.bytes.length - 500);
        const predicted = await run((await encodeOnnxModel(m, q.decoded, { target: "onnx" })).bytes);
        // ORT computes (q − z)·s in float32 like quantforge; the convolutions may reassociate.
        expectClose(await run(r.bytes), predicted, 1e-6);
      }
    });
  }

  for (const opts of [
    { bits: 8, groupSize: 32 },
    { bits: 4, groupSize: 16 },
  ]) {
    it(`onnx-qdq (per group, ${opts.bits}-bit, groups of ${opts.groupSize}, opset 21): blocked DequantizeLinear on the last axis; outputs match the decoded weights`, async () => {
      const m = await parseOnnxModel(buildMatMulOnnxModel({ seed: 4 }), "mm.onnx");
      expect(m.opset).toBe(21);
      const q = await quantize(m, rtnQuantizer(), { ...opts, granularity: "group" });
      const r = await encodeOnnxModel(m, q.outputs, { target: "onnx-qdq" });
      expect([...r.qdq].sort()).toEqual([MATMUL_WEIGHTS.w1, MATMUL_WEIGHTS.w2].sort());
      const back = await parseOnnxModel(r.bytes, "mm-qdq.onnx");
      const dq = back.nodes.filter((n) => n.opType === "DequantizeLinear");
      expect(dq.map((n) => [n.outputs[0], n.ints])).toEqual([
        [MATMUL_WEIGHTS.w1, { axis: 1, block_size: opts.groupSize }],
        [MATMUL_WEIGHTS.w2, { axis: 1, block_size: opts.groupSize }],
      ]);
      for (const [name, dims] of [
        [MATMUL_WEIGHTS.w1, [64, 96]],
        [MATMUL_WEIGHTS.w2, [96, 32]],
      ] as const) {
        const pd = [dims[0], dims[1] / opts.groupSize];
        expect(back.initializers.find((i) => i.name === `${name}_scale`)!.dims).toEqual(pd);
        expect(back.initializers.find((i) => i.name === `${name}_zero_point`)!.dims).toEqual(pd);
        // Scales and zero points are stored in the codebook's (row-major group) order, which is ONNX's block order.
        const cb = (q.outputs.get(name) as Extract<OnnxWeightOutput, { kind: "quantized" }>).codebook;
        if (cb.kind !== "affine") throw new Error("rtn writes affine codebooks");
        const bytesOf = async (suffix: string) => (await initializerRawBytes(back.initializers.find((i) => i.name === `${name}_${suffix}`)!))!;
        expect([...new Float32Array((await bytesOf("scale")).slice().buffer)]).toEqual([...cb.scale]);
        expect([...(await bytesOf("zero_point"))]).toEqual([...cb.zeroPoint]);
      }
      const xin = randomInput(11, 3 * 64);
      const runMm = (bytes: Uint8Array) => runOnnxModel(bytes, [{ name: "x", shape: [3, 64], data: xin }]);
      const predicted = await runMm((await encodeOnnxModel(m, q.decoded, { target: "onnx" })).bytes);
      const original = await runMm(m.bytes);
      expect(original[0]!.data.some((v, i) => v !== predicted[0]!.data[i])).toBe(true);
      // ORT computes (q − z)·s per block in float32 like quantforge; only the MatMul may reassociate.
      expectClose(await runMm(r.bytes), predicted, 1e-6);
    });
  }

  it("onnx-qdq refuses per-group grids below opset 21 and groups that do not tile the last axis, saying why", async () => {
    const old = await parseOnnxModel(buildMatMulOnnxModel({ seed: 4, opset: 13 }), "mm13.onnx");
    const q13 = await quantize(old, rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 32 });
    const e13 = await encodeOnnxModel(old, q13.outputs, { target: "onnx-qdq", strict: true }).catch((err: unknown) => err);
    expect((e13 as { code: string }).code).toBe(ErrorCodes.USAGE);
    expect((e13 as Error).message).toMatch(/blocked DequantizeLinear .*needs opset 21 or later, but the model declares opset 13\. Use --target onnx .*--option granularity=channel/);
    // Gemm B [4, 75]: 75 % 32 ≠ 0, so its groups of 32 straddle rows.
    const m21 = await parseOnnxModel(buildOnnxModel({ seed: 9, opset: 21 }), "m21.onnx");
    const fcOnly = (t: WeightTensor) => t.name === ONNX_WEIGHTS.gemmB;
    const q = await quantize(m21, rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 32 }, fcOnly);
    const e = await encodeOnnxModel(m21, q.outputs, { target: "onnx-qdq", strict: true }).catch((err: unknown) => err);
    expect((e as { code: string }).code).toBe(ErrorCodes.USAGE);
    expect((e as Error).message).toMatch(/"fc\.weight" has shape \[4, 75\]; .*last dimension \(75\) is a multiple of the group size\. Choose a groupSize that divides 75 \(e\.g\. --option groupSize=25\)/);
    // The suggested size works: blocks of 25 along the last axis; ORT runs the model.
    const q25 = await quantize(m21, rtnQuantizer(), { bits: 8, granularity: "group", groupSize: 25 }, fcOnly);
    const r = await encodeOnnxModel(m21, q25.outputs, { target: "onnx-qdq" });
    const back = await parseOnnxModel(r.bytes, "m21-qdq.onnx");
    expect(back.nodes.filter((n) => n.opType === "DequantizeLinear").map((n) => n.ints)).toEqual([{ axis: 1, block_size: 25 }]);
    expect(back.initializers.find((i) => i.name === `${ONNX_WEIGHTS.gemmB}_scale`)!.dims).toEqual([4, 3]);
    expectClose(await run(r.bytes), await run((await encodeOnnxModel(m21, q25.decoded, { target: "onnx" })).bytes), 1e-6);
  });

  it("onnx-qdq writes tensors DequantizeLinear cannot express as decoded floats, listing each with the reason", async () => {
    const m = await readOnnxModel(src);
    const q = await quantize(m, uniformMseQuantizer(), { bits: 4 });
    const r = await encodeOnnxModel(m, q.outputs, { target: "onnx-qdq" });
    expect(r.qdq).toEqual([]);
    expect(r.floatFallback.map((f) => f.name).sort()).toEqual([...q.outputs.keys()].sort());
    expect(r.floatFallback[0]!.reason).toMatch(/grid codebook; DequantizeLinear expresses affine grids only\.$/);
    // Byte for byte what the onnx target writes for the same decoded weights.
    expect(r.bytes).toEqual((await encodeOnnxModel(m, q.outputs, { target: "onnx" })).bytes);
  });

  it("onnx-qdq with strict refuses codebooks DequantizeLinear cannot express", async () => {
    const m = await readOnnxModel(src);
    const q = await quantize(m, uniformMseQuantizer(), { bits: 4 });
    const e = await encodeOnnxModel(m, q.outputs, { target: "onnx-qdq", strict: true }).catch((err: unknown) => err);
    expect((e as { code: string }).code).toBe(ErrorCodes.USAGE);
    expect((e as Error).message).toMatch(/grid codebook; DequantizeLinear expresses affine grids only/);
  });

  it("writes quantized FLOAT16 initializers back as FLOAT16, counting rounded values", async () => {
    const m = await readOnnxModel(src);
    const q = await quantize(m, rtnQuantizer(), { bits: 2 }, () => true);
    const r = await encodeOnnxModel(m, q.outputs, { target: "onnx" });
    const back = await parseOnnxModel(r.bytes, "h.onnx");
    expect(back.initializers.find((i) => i.name === ONNX_WEIGHTS.gain)!.dataType).toBe(10);
    expect(r.roundedToHalf).toBeGreaterThan(0);
    expect((await run(r.bytes))[0]!.shape).toEqual([2, 4]);
  });
});
