import { describe, expect, it } from "vitest";
import { describeQuantizerConformance, edgeTensor, EDGE_KINDS } from "@quantforge/core/testing";
import { Rng, assertQuantizedModel, codebookMap, dequantizeModel, requantizeTensor } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import { syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import { gpfqQuantizer } from "./gpfq-quantizer.js";

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

// GPFQ needs layer inputs, so the suite runs it on a model (its model-less property/edge tests are
// then inapplicable; the edge kinds are covered below through a one-layer model).
describeQuantizerConformance(gpfqQuantizer(), {
  model: model(),
  options: [{ samples: 16 }, { bits: 1, samples: 24 }, { bits: 3, alphabet: "midrise", target: "float", samples: 8 }, { bits: 8 }],
  invalidOptions: [{ bits: 0 }, { bits: 9 }, { bits: 1.5 }, { alphabet: "nf4" }, { target: "both" }, { samples: 0 }, { unknownOption: true }],
});

describe("gpfq on edge-valued kernels (through a model)", () => {
  for (const kind of EDGE_KINDS) {
    it(`${kind} kernel: valid codes, finite output, requantize holds`, async () => {
      const t = edgeTensor(kind, { shape: [8, 4] });
      const fanOut = t.shape[t.shape.length - 1] ?? 1;
      const fanIn = t.data.length / fanOut;
      const inputs = Float32Array.from({ length: 6 * fanIn }, (_, i) => ((i * 7) % 5) - 2);
      const m = syntheticDenseProbe({ layers: [{ name: "l", fanIn, fanOut, kernel: t.data }], inputs, count: 6 });
      const q = await instantiate(gpfqQuantizer(), { bits: 3, samples: 6 }).quantize(m.weights, createRunContext({ model: m }));
      assertQuantizedModel(q, m.weights);
      const dense = dequantizeModel(q)[0]!.data;
      expect(dense.every(Number.isFinite)).toBe(true);
      const qt = q.tensors[0]!;
      expect([...requantizeTensor(qt, codebookMap(q).get(qt.codebook)!, dense)]).toEqual([...qt.codes]);
    });
  }
});
