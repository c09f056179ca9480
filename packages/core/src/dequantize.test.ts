import { describe, expect, it } from "vitest";
import type { AffineCodebook } from "./codebook.js";
import { dequantizeTensor } from "./codebook-impl.js";
import { dequantizeModel } from "./dequantize.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";

const codes = Uint32Array.from({ length: 64 }, (_, i) => (i * 7) % 16);
const cb: AffineCodebook = { kind: "affine", id: "w", levels: 16, scale: Float32Array.of(0.5, 0.25), zeroPoint: Float32Array.of(8, 7) };
const t: QuantizedTensor = { name: "w", shape: [2, 32], codebook: "w", grouping: { kind: "channel", axis: 0 }, codes };
const source: QuantizedModel = { codebooks: [cb], tensors: [t] };

describe("dequantizeModel with values dequantized ahead", () => {
  it("takes them for a tensor whose codes, shape, grouping and codebook equal the source's (ids aside)", () => {
    const values = dequantizeTensor(t, cb);
    const decodedModel: QuantizedModel = { codebooks: [{ ...cb, id: "", scale: cb.scale.slice(), zeroPoint: cb.zeroPoint.slice() }], tensors: [{ ...t, codebook: "" }] };
    const [w] = dequantizeModel(decodedModel, undefined, { source, values: new Map([[codes, values]]) });
    expect(w!.data).toBe(values);
  });

  it("computes them again when any input differs", () => {
    const values = dequantizeTensor(t, cb);
    const ahead = { source, values: new Map([[codes, values]]) };
    const variants: QuantizedModel[] = [
      { codebooks: [{ ...cb, scale: Float32Array.of(0.5, 0.125) }], tensors: [t] },
      { codebooks: [cb], tensors: [{ ...t, grouping: { kind: "group", size: 32 } }] },
      { codebooks: [cb], tensors: [{ ...t, codes: codes.slice() }] },
    ];
    for (const m of variants) {
      const [w] = dequantizeModel(m, undefined, ahead);
      expect(w!.data).not.toBe(values);
      expect(w!.data).toEqual(dequantizeTensor(m.tensors[0]!, m.codebooks[0]!));
    }
  });
});
