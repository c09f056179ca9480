import { describe, expect, it } from "vitest";
import { describeQuantizerConformance, edgeTensor, EDGE_KINDS } from "@quantforge/core/testing";
import { assertQuantizedModel, dequantizeModel, requantizeTensor, codebookMap } from "@quantforge/core";
import { createRunContext, instantiate } from "@quantforge/core/host";
import { randomMlp } from "./__fixtures__/mlp.js";
import { msqQuantizer } from "./msq-quantizer.js";
import { preprocessedMsqQuantizer } from "./preprocessed-msq-quantizer.js";
import { syntheticDenseProbe } from "./synthetic-probe.js";

const invalid = [{ bits: 0 }, { bits: 9 }, { bits: 2.5 }, { bits: "4" }, { alphabet: "log" }, { unknownOption: true }];

describeQuantizerConformance(msqQuantizer(), {
  options: [{}, { bits: 1 }, { bits: 2, alphabet: "midrise" }, { bits: 3 }, { bits: 8, alphabet: "midrise" }],
  invalidOptions: invalid,
});

// The data-driven quantizer needs layer inputs, so the suite runs it on a model (its synthetic
// property/edge tests, which have no model, are then inapplicable; the edge kinds are covered below).
describeQuantizerConformance(preprocessedMsqQuantizer(), {
  model: randomMlp([48, 24, 10], 32, 1, { bias: true }),
  options: [{ samples: 8 }, { bits: 1, samples: 8 }, { bits: 3, alphabet: "midrise", constraint: "box", samples: 12 }, { bits: 2, target: "float", samples: 16 }],
  invalidOptions: [...invalid, { constraint: "ball" }, { target: "both" }, { samples: 0 }],
});

describe("preprocessed-msq on edge-valued kernels (through a model)", () => {
  for (const kind of EDGE_KINDS) {
    it(`${kind} kernel: valid codes, finite output, requantize holds`, async () => {
      const t = edgeTensor(kind, { shape: [8, 4] });
      const fanOut = t.shape[t.shape.length - 1] ?? 1;
      const fanIn = t.data.length / fanOut;
      const inputs = Float32Array.from({ length: 6 * fanIn }, (_, i) => ((i * 7) % 5) - 2);
      const model = syntheticDenseProbe({ layers: [{ name: "l", fanIn, fanOut, kernel: t.data }], inputs, count: 6 });
      const q = await instantiate(preprocessedMsqQuantizer(), { bits: 3, samples: 6 }).quantize(model.weights, createRunContext({ model }));
      assertQuantizedModel(q, model.weights);
      const cbs = codebookMap(q);
      for (const d of dequantizeModel(q)) expect(d.data.every(Number.isFinite)).toBe(true);
      for (const qt of q.tensors) {
        const cb = cbs.get(qt.codebook)!;
        const dense = dequantizeModel(q)[0]!.data;
        expect([...requantizeTensor(qt, cb, dense)]).toEqual([...qt.codes]);
      }
    });
  }
});
