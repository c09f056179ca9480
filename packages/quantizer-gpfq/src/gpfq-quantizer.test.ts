import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ErrorCodes, Rng, type LayerInputMatrix, type ModelProbe, type QuantizedModel, type WeightTensor } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext, instantiate, runPipeline } from "@quantforge/core/host";
import { alphabetForWeights, msqQuantizer, nearestCode, syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import { gpfqQuantizer } from "./gpfq-quantizer.js";
import { VERSION } from "./version.js";

function mlp(sizes: readonly number[], count: number, seed: number, zeroInputs = 0): ModelProbe {
  const rng = new Rng(seed);
  const layers = sizes.slice(1).map((fanOut, i) => ({
    name: `dense${i + 1}`,
    fanIn: sizes[i]!,
    fanOut,
    kernel: Float32Array.from({ length: sizes[i]! * fanOut }, () => rng.normal() * Math.sqrt(2 / sizes[i]!)),
    bias: Float32Array.from({ length: fanOut }, () => 0.05 * rng.normal()),
  }));
  const d0 = sizes[0]!;
  // The first `zeroInputs` input features are blank on every sample (MNIST's border pixels).
  const inputs = Float32Array.from({ length: count * d0 }, (_, k) => (k % d0 < zeroInputs ? 0 : Math.max(0, rng.normal())));
  return syntheticDenseProbe({ layers, inputs, count });
}

/** Mean over neurons of ‖X_f·w − X̃·q‖ / ‖X_f·w‖: how well the quantized layer, fed by the quantized network, reproduces the float layer. */
function relError(xf: LayerInputMatrix, xq: LayerInputMatrix, w: Float32Array, q: Float32Array, fanOut: number): number {
  let sum = 0;
  for (let o = 0; o < fanOut; o++) {
    let e = 0,
      r = 0;
    for (let s = 0; s < xf.rows; s++) {
      let a = 0,
        b = 0;
      for (let i = 0; i < xf.cols; i++) {
        a += xf.data[s * xf.cols + i]! * w[i * fanOut + o]!;
        b += xq.data[s * xq.cols + i]! * q[i * fanOut + o]!;
      }
      r += a * a;
      e += (a - b) ** 2;
    }
    sum += Math.sqrt(e / r);
  }
  return sum / fanOut;
}

const data = (ws: readonly WeightTensor[], name: string) => ws.find((t) => t.name === name)!.data;

describe("gpfqQuantizer", () => {
  it("declares id, version, defaults and the layerInputs capability", () => {
    const p = gpfqQuantizer();
    expect(p.id).toBe("gpfq");
    expect(p.version).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
    expect(VERSION).toBe(p.version);
    expect(instantiate(p).needs).toEqual(["layerInputs"]);
    expect(p.parseOptions({})).toEqual({ bits: 4, alphabet: "midtread", samples: 256, target: "quantized" });
    for (const [raw, field] of [
      [{ bits: 0 }, "bits"],
      [{ target: "both" }, "target"],
      [{ samples: -1 }, "samples"],
    ] as const) {
      expect(() => p.parseOptions(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS, field }));
    }
  });

  it("needs a model with layer inputs", async () => {
    const model = mlp([6, 4, 2], 4, 1);
    await expect(runPipeline({ weights: model.weights, quantizer: gpfqQuantizer() })).rejects.toMatchObject({ code: ErrorCodes.MISSING_CAPABILITY });
    const q = instantiate(gpfqQuantizer());
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext()))).rejects.toMatchObject({ code: ErrorCodes.MISSING_CAPABILITY });
  });

  it("beats plain MSQ (same alphabet) on each layer's calibration output with m < N0 and is deterministic", async () => {
    const model = mlp([64, 48, 24, 10], 96, 3, 8);
    const opts = { bits: 3, samples: 16 };
    const a = await runPipeline({ model, quantizer: { plugin: gpfqQuantizer(), options: opts }, options: { seed: 2 } });
    const b = await runPipeline({ model, quantizer: { plugin: gpfqQuantizer(), options: opts }, options: { seed: 2 } });
    expect(a.quantized.tensors.map((t) => [...t.codes])).toEqual(b.quantized.tensors.map((t) => [...t.codes]));
    const msq = await runPipeline({ model, quantizer: { plugin: msqQuantizer(), options: { bits: 3 } } });
    for (const layer of model.layers!) {
      const xf = await model.layerInputs!.layerInputs(layer.name, 16);
      const w = data(model.weights, layer.weight);
      // Each method is fed by its own quantized network (that is what GPFQ corrects for).
      const eG = relError(xf, await model.layerInputs!.layerInputs(layer.name, 16, a.decoded), w, data(a.decoded, layer.weight), layer.fanOut);
      const eM = relError(xf, await model.layerInputs!.layerInputs(layer.name, 16, msq.decoded), w, data(msq.decoded, layer.weight), layer.fanOut);
      expect(eG).toBeLessThan(0.7 * eM);
      const alpha = alphabetForWeights(w, 3, "midtread");
      expect([...data(a.decoded, layer.weight)].every((v) => alpha.levels[nearestCode(alpha, v)] === v)).toBe(true);
    }
    expect(a.diagnostics.find((d) => d.ruleId === "zero-input-columns")?.message).toContain("8 of 64");
  });

  it("never asks the probe for more samples than its calibration set has", async () => {
    const model = mlp([12, 6, 3], 7, 2);
    const asked: number[] = [];
    const spy: ModelProbe = {
      ...model,
      layerInputs: {
        layerInputs: (l, s, w) => {
          asked.push(s);
          return model.layerInputs!.layerInputs(l, s, w);
        },
      },
    };
    await instantiate(gpfqQuantizer(), { samples: 256, target: "float" }).quantize(model.weights, createRunContext({ model: spy }));
    expect(asked).toEqual([7, 7]);
  });

  it("target float uses X̃ = X (different layer-2 codes than the quantized-input target)", async () => {
    const model = mlp([40, 30, 8], 32, 4);
    const run = (target: string) => runPipeline({ model, quantizer: { plugin: gpfqQuantizer(), options: { bits: 2, samples: 32, target } } });
    const q = await run("quantized"),
      f = await run("float");
    expect([...f.quantized.tensors[0]!.codes]).toEqual([...q.quantized.tensors[0]!.codes]);
    expect([...f.quantized.tensors[1]!.codes]).not.toEqual([...q.quantized.tensors[1]!.codes]);
  });

  it("draws the same patch rows for X and X̃ on conv layers and plain-rounds non-kernel tensors", async () => {
    const rng = new Rng(6);
    const k = Float32Array.from({ length: 3 * 3 * 2 * 5 }, () => rng.normal());
    const bias = Float32Array.from({ length: 5 }, () => rng.normal());
    const patches = Float32Array.from({ length: 40 * 18 }, () => rng.normal());
    const calls: number[] = [];
    const model: ModelProbe = {
      id: "conv",
      weights: [
        { name: "c/kernel", shape: [3, 3, 2, 5], data: k, role: "weight", layer: "c", layerKind: "conv2d" },
        { name: "c/bias", shape: [5], data: bias, role: "bias", layer: "c", layerKind: "conv2d" },
      ],
      layers: [{ name: "c", kind: "conv2d", weight: "c/kernel", bias: "c/bias", fanIn: 18, fanOut: 5 }],
      layerInputs: {
        async layerInputs(_l, samples) {
          calls.push(samples);
          return { rows: 40, cols: 18, data: patches };
        },
      },
    };
    const diagnostics = new CollectingDiagnostics();
    const q = instantiate(gpfqQuantizer(), { bits: 3, samples: 10 });
    const out = (await q.quantize(model.weights, createRunContext({ model, diagnostics, seed: 3 }))) as QuantizedModel;
    expect(calls).toEqual([10, 10]);
    const again = (await q.quantize(model.weights, createRunContext({ model, seed: 3 }))) as QuantizedModel;
    expect([...again.tensors[0]!.codes]).toEqual([...out.tensors[0]!.codes]);
    const plain = instantiate(msqQuantizer(), { bits: 3 }).quantize([model.weights[1]!], createRunContext()) as QuantizedModel;
    expect([...out.tensors[1]!.codes]).toEqual([...plain.tensors[0]!.codes]);
    const bad: ModelProbe = { ...model, layers: [{ ...model.layers![0]!, fanIn: 17 }] };
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext({ model: bad })))).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
  });
});
