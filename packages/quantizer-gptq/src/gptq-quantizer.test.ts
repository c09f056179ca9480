import { describe, expect, it } from "vitest";
import { MissingCapabilityError, Rng, dequantizeModel, type WeightTensor } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import { syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { HessianNotPositiveDefiniteError, gptqQuantizer } from "./gptq-quantizer.js";

function probe(count: number, seed = 3) {
  const rng = new Rng(seed);
  const kernel = Float32Array.from({ length: 32 * 12 }, () => rng.normal() / Math.sqrt(32));
  // Correlated inputs (a shared factor) make error feedback matter.
  const inputs = new Float32Array(count * 32);
  for (let r = 0; r < count; r++) {
    const f = rng.normal();
    for (let c = 0; c < 32; c++) inputs[r * 32 + c] = f + 0.5 * rng.normal();
  }
  return syntheticDenseProbe({ layers: [{ name: "l", fanIn: 32, fanOut: 12, kernel }], inputs, count });
}

function outputError(x: Float32Array, rows: number, w: Float32Array, v: Float32Array, k: number, n: number): number {
  let s = 0;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < n; c++) {
      let d = 0;
      for (let i = 0; i < k; i++) d += x[r * k + i]! * (w[i * n + c]! - v[i * n + c]!);
      s += d * d;
    }
  return s;
}

describe("gptq", () => {
  it("lowers the layer's output error on its calibration data below rtn's on the same grid kind", async () => {
    const m = probe(64);
    const ctx = () => createRunContext({ model: m });
    const kernel = m.weights.filter((t) => t.name === m.layers![0]!.weight) as WeightTensor[];
    const x = (await m.layerInputs!.layerInputs("l", 64)).data;
    for (const o of [
      { bits: 3, granularity: "channel" },
      { bits: 4, granularity: "group", groupSize: 12 },
    ] as const) {
      const g = dequantizeModel(await instantiate(gptqQuantizer(), o).quantize(kernel, ctx()))[0]!.data;
      const r = dequantizeModel(await instantiate(rtnQuantizer(), { ...o, zero: "exact" }).quantize(kernel, ctx()))[0]!.data;
      const eg = outputError(x, 64, kernel[0]!.data, g, 32, 12),
        er = outputError(x, 64, kernel[0]!.data, r, 32, 12);
      expect(eg).toBeLessThan(0.8 * er);
    }
  });

  it("with dampening 0 and fewer samples than inputs, refuses the singular H with a typed error", async () => {
    const m = probe(8);
    const q = instantiate(gptqQuantizer(), { dampening: 0, target: "float" });
    await expect(
      q.quantize(
        m.weights.filter((t) => t.name === "l/kernel" || t.name === m.layers![0]!.weight),
        createRunContext({ model: m }),
      ),
    ).rejects.toBeInstanceOf(HessianNotPositiveDefiniteError);
    await expect(q.quantize(m.weights, createRunContext({ model: m }))).rejects.toMatchObject({ code: "QF_INVALID_OPTIONS", field: "dampening" });
  });

  it("needs layer inputs", async () => {
    await expect(instantiate(gptqQuantizer(), {}).quantize(probe(8).weights, createRunContext({}))).rejects.toBeInstanceOf(MissingCapabilityError);
  });

  it("quantizes an outputs-first view [fanOut, fanIn] to the transposed codes of the [fanIn, fanOut] kernel", async () => {
    const m = probe(64);
    const t = m.weights.find((w) => w.name === m.layers![0]!.weight)!;
    const view: WeightTensor = { ...t, shape: [12, 32], data: Float32Array.from({ length: 32 * 12 }, (_, i) => t.data[(i % 32) * 12 + Math.floor(i / 32)]!), outputAxis: 0, inputAxis: 1 };
    const q = instantiate(gptqQuantizer(), { bits: 3, granularity: "channel" });
    const a = (await q.quantize([t], createRunContext({ model: m }))).tensors[0]!;
    const b = (await q.quantize([view], createRunContext({ model: m }))).tensors[0]!;
    expect(b.shape).toEqual([12, 32]);
    expect([...b.codes]).toEqual(Array.from({ length: 32 * 12 }, (_, i) => a.codes[(i % 32) * 12 + Math.floor(i / 32)]!));
  });

  it("takes groupSize alone as per-group grids", () => {
    expect(gptqQuantizer().parseOptions({ groupSize: 32 })).toMatchObject({ granularity: "group", groupSize: 32 });
    expect(gptqQuantizer().parseOptions({})).toMatchObject({ granularity: "channel", groupSize: 128 });
    expect(gptqQuantizer().parseOptions({ granularity: "channel", groupSize: 32 })).toMatchObject({ granularity: "channel" });
  });

  it("is deterministic", async () => {
    const m = probe(32);
    const run = async () => (await instantiate(gptqQuantizer(), { actOrder: true, bits: 3 }).quantize(m.weights, createRunContext({ model: m }))).tensors.map((t) => [...t.codes]);
    expect(await run()).toEqual(await run());
  });
});

describe("gptq on tensors that are no layer's kernel", () => {
  it("rounds a long non-kernel tensor ([70000, 1]: K² = 4.9e9 elements, past the largest typed array, fails at once without the fix) to rtn's codes without a K×K Hessian", async () => {
    const m = probe(16);
    const rng = new Rng(5);
    const conv: WeightTensor = { name: "conv.weight", shape: [70_000, 1], data: Float32Array.from({ length: 70_000 }, () => rng.normal()), role: "weight", outputAxis: 0, inputAxis: 1 };
    for (const o of [
      { bits: 4, granularity: "channel" },
      { bits: 3, granularity: "tensor" },
    ] as const) {
      const g = (await instantiate(gptqQuantizer(), o).quantize([conv], createRunContext({ model: m }))).tensors[0]!;
      const r = (await instantiate(rtnQuantizer(), { ...o, zero: "exact" }).quantize([conv], createRunContext({ model: m }))).tensors[0]!;
      expect(g.grouping).toEqual(r.grouping);
      expect([...g.codes]).toEqual([...r.codes]);
    }
  });
});
