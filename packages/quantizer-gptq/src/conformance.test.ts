import { describe, expect, it } from "vitest";
import { describeQuantizerConformance, edgeTensor, EDGE_KINDS } from "@quantforge/core/testing";
import { Rng, assertQuantizedModel, codebookMap, dequantizeModel, requantizeTensor } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import { syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import { gptqQuantizer } from "./gptq-quantizer.js";

function model() {
  const rng = new Rng(1);
  const layers = [
    [40, 20],
    [20, 6],
  ].map(([fanIn, fanOut], i) => ({
    name: `dense${i + 1}`,
    fanIn: fanIn!,
    fanOut: fanOut!,
    kernel: Float32Array.from({ length: fanIn! * fanOut! }, () => rng.normal() / Math.sqrt(fanIn!)),
    bias: Float32Array.from({ length: fanOut! }, () => 0.1 * rng.normal()),
  }));
  const inputs = Float32Array.from({ length: 24 * 40 }, () => Math.max(0, rng.normal()));
  return syntheticDenseProbe({ layers, inputs, count: 24 });
}

// GPTQ needs layer inputs, so the suite runs it on a model; the edge kinds run below through a one-layer model.
describeQuantizerConformance(gptqQuantizer(), {
  model: model(),
  options: [
    {},
    { bits: 2, granularity: "tensor" },
    { bits: 3, actOrder: true, blockSize: 8 },
    { bits: 4, granularity: "group", groupSize: 8, actOrder: true },
    { bits: 8, scheme: "symmetric", axis: "input" },
    { bits: 1, zero: "free", target: "float", samples: 8 },
    { bits: 16 },
  ],
  invalidOptions: [
    { bits: 0 },
    { bits: 17 },
    { bits: 2.5 },
    { scheme: "symmetric", bits: 1 },
    { scheme: "symmetric", zero: "free" },
    { granularity: "row" },
    { dampening: -1 },
    { actOrder: "yes" },
    { blockSize: 0 },
    { samples: 0 },
    { target: "both" },
    { unknownOption: true },
  ],
});

describe("gptq on edge-valued kernels (through a model)", () => {
  for (const kind of EDGE_KINDS) {
    for (const granularity of ["channel", "group"] as const) {
      it(`${kind} kernel, ${granularity}: valid codes, finite output, requantize holds`, async () => {
        const t = edgeTensor(kind, { shape: [8, 4] });
        const fanOut = t.shape[t.shape.length - 1] ?? 1;
        const fanIn = t.data.length / fanOut;
        const inputs = Float32Array.from({ length: 6 * fanIn }, (_, i) => ((i * 7) % 5) - 2);
        const m = syntheticDenseProbe({ layers: [{ name: "l", fanIn, fanOut, kernel: t.data }], inputs, count: 6 });
        const q = await instantiate(gptqQuantizer(), { bits: 3, granularity, groupSize: 4, actOrder: true }).quantize(m.weights, createRunContext({ model: m }));
        assertQuantizedModel(q, m.weights);
        const dense = dequantizeModel(q)[0]!.data;
        expect(dense.every(Number.isFinite)).toBe(true);
        const qt = q.tensors[0]!;
        expect([...requantizeTensor(qt, codebookMap(q).get(qt.codebook)!, dense)]).toEqual([...qt.codes]);
      });
    }
  }
});
