import { describe, expect, it } from "vitest";
import { ErrorCodes, Rng, type LayerInputMatrix, type ModelProbe, type WeightTensor } from "@quantforge/core";
import { CollectingDiagnostics, createRunContext, instantiate, runPipeline } from "@quantforge/core/host";
import { readFileSync } from "node:fs";
import { alphabetForWeights, nearestCode } from "./alphabet.js";
import { meanRelError, randomMlp } from "./__fixtures__/mlp.js";
import { msqQuantizer } from "./msq-quantizer.js";
import { preprocessedMsqQuantizer } from "./preprocessed-msq-quantizer.js";
import { VERSION } from "./version.js";

const kernel = (ws: readonly WeightTensor[], layer: string) => ws.find((t) => t.name === `${layer}/kernel`)!.data;

describe("preprocessedMsqQuantizer", () => {
  it("declares its id, version and the layerInputs capability", () => {
    const p = preprocessedMsqQuantizer();
    expect(p.id).toBe("preprocessed-msq");
    expect(p.version).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
    expect(VERSION).toBe(p.version);
    expect(instantiate(p).needs).toEqual(["layerInputs"]);
    expect(p.parseOptions({})).toEqual({ bits: 4, alphabet: "midtread", constraint: "cell", samples: 64, target: "quantized" });
    expect(preprocessedMsqQuantizer({ bits: 2 }).parseOptions({}).bits).toBe(2);
  });

  it("rejects bad options naming the field", () => {
    const p = preprocessedMsqQuantizer();
    for (const [raw, field] of [
      [{ bits: 0 }, "bits"],
      [{ bits: 9 }, "bits"],
      [{ constraint: "ball" }, "constraint"],
      [{ target: "x" }, "target"],
      [{ samples: 0 }, "samples"],
      [{ alphabet: "log" }, "alphabet"],
    ] as const) {
      expect(() => p.parseOptions(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS, field }));
    }
  });

  it("fails early without layer inputs", async () => {
    const model = randomMlp([8, 4, 2], 8);
    await expect(runPipeline({ weights: model.weights, quantizer: preprocessedMsqQuantizer() })).rejects.toMatchObject({ code: ErrorCodes.MISSING_CAPABILITY });
    const q = instantiate(preprocessedMsqQuantizer());
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext()))).rejects.toMatchObject({ code: ErrorCodes.MISSING_CAPABILITY });
    const noLayers: ModelProbe = { ...model, layers: [] };
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext({ model: noLayers })))).rejects.toMatchObject({ code: ErrorCodes.MISSING_CAPABILITY });
  });

  it("beats plain MSQ on every layer's calibration output, layer by layer on the quantized network's inputs", async () => {
    const model = randomMlp([96, 64, 40, 10], 64, 5);
    const samples = 16;
    const run = await runPipeline({ model, quantizer: { plugin: preprocessedMsqQuantizer(), options: { bits: 3, samples } }, options: { seed: 1 } });
    const msq = await runPipeline({ model, quantizer: { plugin: msqQuantizer(), options: { bits: 3 } }, options: { seed: 1 } });
    for (const layer of model.layers!) {
      const mL = Math.min(samples, Math.floor(layer.fanIn / 2));
      // The input this layer saw while it was quantized: earlier layers already quantized.
      const x = await model.layerInputs!.layerInputs(layer.name, mL, run.decoded);
      const w = kernel(model.weights, layer.name);
      const ePre = meanRelError(x.data, x.rows, layer.fanIn, w, kernel(run.decoded, layer.name), layer.fanOut);
      const eMsq = meanRelError(x.data, x.rows, layer.fanIn, w, kernel(msq.decoded, layer.name), layer.fanOut);
      expect(ePre).toBeLessThan(0.7 * eMsq);
    }
    const walks = run.diagnostics.filter((d) => d.ruleId === "layer-walk");
    expect(walks.map((d) => d.tensor)).toEqual(["dense1/kernel", "dense2/kernel", "dense3/kernel"]);
  });

  it("with target float keeps the float network's layer inputs as reference", async () => {
    const model = randomMlp([80, 48, 10], 48, 9);
    const opts = { bits: 2, samples: 20 };
    const qRun = await runPipeline({ model, quantizer: { plugin: preprocessedMsqQuantizer(), options: { ...opts, target: "quantized" } } });
    const fRun = await runPipeline({ model, quantizer: { plugin: preprocessedMsqQuantizer(), options: { ...opts, target: "float" } } });
    // Layer 1 sees the same data either way; layer 2's reference differs.
    expect([...fRun.quantized.tensors[0]!.codes]).toEqual([...qRun.quantized.tensors[0]!.codes]);
    expect([...fRun.quantized.tensors[1]!.codes]).not.toEqual([...qRun.quantized.tensors[1]!.codes]);
    const x = await model.layerInputs!.layerInputs("dense2", 20);
    const w = kernel(model.weights, "dense2");
    const eF = meanRelError(x.data, x.rows, 48, w, kernel(fRun.decoded, "dense2"), 10);
    const eQ = meanRelError(x.data, x.rows, 48, w, kernel(qRun.decoded, "dense2"), 10);
    expect(eF).toBeLessThan(eQ);
  });

  it("is deterministic and emits one affine codebook per kernel whose levels are the shared alphabet", async () => {
    const model = randomMlp([40, 24, 6], 32, 3);
    const go = () => runPipeline({ model, quantizer: { plugin: preprocessedMsqQuantizer(), options: { bits: 4, alphabet: "midrise", samples: 12 } }, options: { seed: 4 } });
    const a = await go(),
      b = await go();
    expect(a.quantized.tensors.map((t) => [...t.codes])).toEqual(b.quantized.tensors.map((t) => [...t.codes]));
    for (const t of a.quantized.tensors) {
      const cb = a.quantized.codebooks.find((c) => c.id === t.codebook)!;
      const alpha = alphabetForWeights(model.weights.find((w) => w.name === t.name)!.data, 4, "midrise");
      expect(cb).toMatchObject({ kind: "affine", levels: 16 });
      const dec = a.decoded.find((w) => w.name === t.name)!.data;
      expect([...dec].every((v) => alpha.levels[nearestCode(alpha, v)] === v)).toBe(true);
    }
  });

  it("quantizes conv-shaped kernels per output channel, drawing m_l patch rows, and falls back to MSQ for fan-in 1", async () => {
    const rng = new Rng(2);
    const conv = Float32Array.from({ length: 2 * 2 * 3 * 4 }, () => rng.normal());
    const narrow = Float32Array.from({ length: 1 * 3 }, () => rng.normal());
    const calls: [string, number][] = [];
    const patches = (rows: number, cols: number): LayerInputMatrix => ({ rows, cols, data: Float32Array.from({ length: rows * cols }, () => rng.normal()) });
    const model: ModelProbe = {
      id: "conv",
      weights: [
        { name: "c/kernel", shape: [2, 2, 3, 4], data: conv, role: "weight", layer: "c", layerKind: "conv2d" },
        { name: "n/kernel", shape: [1, 3], data: narrow, role: "weight", layer: "n", layerKind: "dense" },
      ],
      layers: [
        { name: "c", kind: "conv2d", weight: "c/kernel", fanIn: 12, fanOut: 4 },
        { name: "n", kind: "dense", weight: "n/kernel", fanIn: 1, fanOut: 3 },
      ],
      layerInputs: {
        async layerInputs(layer, samples) {
          calls.push([layer, samples]);
          return layer === "c" ? patches(samples * 9, 12) : patches(samples, 1);
        },
      },
    };
    const diagnostics = new CollectingDiagnostics();
    const q = instantiate(preprocessedMsqQuantizer(), { bits: 3, samples: 100 });
    const out = await q.quantize(model.weights, createRunContext({ model, diagnostics, seed: 1 }));
    expect(calls).toEqual([["c", 6]]);
    expect(diagnostics.items.find((d) => d.ruleId === "layer-walk")?.message).toContain("m_l = 6");
    expect(diagnostics.items.find((d) => d.ruleId === "narrow-layer")?.tensor).toBe("n/kernel");
    const msq = instantiate(msqQuantizer(), { bits: 3 }).quantize([model.weights[1]!], createRunContext()) as Awaited<ReturnType<typeof q.quantize>>;
    expect([...out.tensors[1]!.codes]).toEqual([...msq.tensors[0]!.codes]);
  });

  it("never asks the probe for more samples than its calibration set has", async () => {
    const model = randomMlp([64, 40, 4], 10, 2);
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
    await instantiate(preprocessedMsqQuantizer(), { samples: 256 }).quantize(model.weights, createRunContext({ model: spy }));
    expect(asked).toEqual([10, 10]);
  });

  it("rejects a kernel that does not match its layer and inconsistent layer inputs", async () => {
    const model = randomMlp([12, 5, 3], 8);
    const q = instantiate(preprocessedMsqQuantizer(), { samples: 4 });
    const bad: ModelProbe = { ...model, layers: model.layers!.map((l, i) => (i === 0 ? { ...l, fanIn: 11 } : l)) };
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext({ model: bad })))).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
    const wrongCols: ModelProbe = { ...model, layerInputs: { layerInputs: async (_l, s) => ({ rows: s, cols: 7, data: new Float32Array(s * 7) }) } };
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext({ model: wrongCols })))).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
  });

  it("quantizes selected biases with plain MSQ and stops when aborted", async () => {
    const model = randomMlp([16, 8, 4], 16, 2, { bias: true });
    const q = instantiate(preprocessedMsqQuantizer(), { bits: 2, samples: 4 });
    const out = await q.quantize(model.weights, createRunContext({ model }));
    const bias = model.weights.find((t) => t.name === "dense1/bias")!;
    const msq = instantiate(msqQuantizer(), { bits: 2 }).quantize([bias], createRunContext()) as Awaited<ReturnType<typeof q.quantize>>;
    expect([...out.tensors.find((t) => t.name === "dense1/bias")!.codes]).toEqual([...msq.tensors[0]!.codes]);
    const ac = new AbortController();
    ac.abort();
    await expect(Promise.resolve().then(() => q.quantize(model.weights, createRunContext({ model, signal: ac.signal })))).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
  });
});

describe("msqQuantizer", () => {
  it("rounds every weight to the nearest level of its tensor's alphabet, needing no data", () => {
    const rng = new Rng(8);
    const t: WeightTensor = { name: "w", shape: [5, 7], data: Float32Array.from({ length: 35 }, () => rng.normal()) };
    for (const bits of [1, 2, 5, 8]) {
      const q = instantiate(msqQuantizer(), { bits, alphabet: "midtread" });
      expect(q.needs).toBeUndefined();
      const out = q.quantize([t], createRunContext()) as Awaited<ReturnType<typeof q.quantize>>;
      const a = alphabetForWeights(t.data, bits, "midtread");
      expect([...out.tensors[0]!.codes]).toEqual([...t.data].map((v) => nearestCode(a, v)));
    }
  });
});
