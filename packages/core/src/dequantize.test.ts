import { describe, expect, it } from "vitest";
import type { AffineCodebook } from "./codebook.js";
import { dequantizeTensor } from "./codebook-impl.js";
import { dequantizeModel, dequantizeModelAhead, valueCount } from "./dequantize.js";
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

/** `t` with a counter of reads of its codes: dequantizing it reads them, matching it reads them once. */
function counted(base: QuantizedTensor): { t: QuantizedTensor; reads: () => number } {
  let n = 0;
  const t = { ...base };
  Object.defineProperty(t, "codes", { get: () => (n++, base.codes), enumerable: true });
  return { t, reads: () => n };
}

describe("dequantizeModelAhead with values summed ahead and not kept (lazy)", () => {
  it("decodes a matching tensor at the first read of its data, once, with dequantizeTensor's values", () => {
    const c = counted(t);
    const { tensors, sources } = dequantizeModelAhead({ codebooks: [cb], tensors: [c.t] }, undefined, { source, values: new Map(), lazy: new Set([codes]) });
    const w = tensors[0]!;
    expect(sources.get(w)).toBe(codes);
    const before = c.reads();
    expect(valueCount(w)).toBe(64); // the length without decoding
    expect(c.reads()).toBe(before);
    const data = w.data;
    expect(c.reads()).toBeGreaterThan(before);
    expect(Buffer.from(data.buffer).equals(Buffer.from(dequantizeTensor(t, cb).buffer))).toBe(true);
    const after = c.reads();
    expect(w.data).toBe(data);
    expect(c.reads()).toBe(after);
    expect(Object.keys(w)).toEqual(["name", "shape", "data", "role", "layer", "layerKind"]);
  });

  it("decodes at once, and names no source, when any input differs or the codes were not summed", () => {
    const ahead = { source, values: new Map(), lazy: new Set([codes]) };
    const variants: QuantizedModel[] = [
      { codebooks: [{ ...cb, scale: Float32Array.of(0.5, 0.125) }], tensors: [t] },
      { codebooks: [cb], tensors: [{ ...t, codes: codes.slice() }] },
    ];
    for (const m of variants) {
      const { tensors, sources } = dequantizeModelAhead(m, undefined, ahead);
      expect(sources.size).toBe(0);
      expect(Object.getOwnPropertyDescriptor(tensors[0], "data")?.get).toBeUndefined();
    }
    const { sources } = dequantizeModelAhead(source, undefined, { source, values: new Map() });
    expect(sources.size).toBe(0);
  });

  it("values given ahead win over laziness, and name their source", () => {
    const values = dequantizeTensor(t, cb);
    const { tensors, sources } = dequantizeModelAhead(source, undefined, { source, values: new Map([[codes, values]]), lazy: new Set([codes]) });
    expect(tensors[0]!.data).toBe(values);
    expect(sources.get(tensors[0]!)).toBe(codes);
  });

  it("valueCount is data.length for every other tensor", () => {
    expect(valueCount({ name: "x", shape: [3, 5], data: new Float32Array(7) })).toBe(7);
  });
});
