import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "./bytes.js";
import { DecodeError } from "./errors.js";
import { layerCode, layerNeedsString, parentOf, resolveLayer } from "./layer-ref.js";
import { readOrderSection, writeOrderSection } from "./order-table.js";

const names = ["w1", "w2", "w3", "b1", "b2"];
const write = (order: number[] | null, interleave: boolean): Uint8Array => {
  const w = new ByteWriter(16);
  writeOrderSection(w, order, 3, interleave);
  return w.finish();
};
const read = (b: Uint8Array, interleave = true): string[] | null => readOrderSection(new ByteReader(b), names, 3, interleave);

describe("order section", () => {
  it("codes an interleaving of tensors and passthrough in one bit per entry, else kinds 0–2", () => {
    expect([...write([0, 3, 1, 4, 2], true)]).toEqual([3, 0b10101]);
    expect(read(write([0, 3, 1, 4, 2], true))).toEqual(["w1", "b1", "w2", "b2", "w3"]);
    expect(write([0, 3, 1, 4, 2], false)[0]).toBe(2);
    expect(read(write([0, 3, 1, 4, 2], false), false)).toEqual(["w1", "b1", "w2", "b2", "w3"]);
    // Passthrough out of its container order is no interleaving: indices.
    expect(read(write([4, 3, 0, 1, 2], true))).toEqual(["b2", "b1", "w1", "w2", "w3"]);
    expect([...write([0, 1, 2, 3, 4], true)]).toEqual([1]);
    expect(read(write(null, true))).toBeNull();
  });

  it("rejects interleavings with too many tensors, padding bits, unknown kinds and non-permutations", () => {
    expect(() => read(Uint8Array.of(3, 0b01111))).toThrow(/more tensors than/);
    expect(() => read(Uint8Array.of(3, 0b11100000 | 0b00111))).toThrow(/padding/);
    expect(() => read(Uint8Array.of(3, 0b10101), false)).toThrow(/unknown kind 3/);
    expect(() => read(Uint8Array.of(4))).toThrow(DecodeError);
    expect(() => read(Uint8Array.of(2, 0, 0, 1, 2, 3))).toThrow(/not a permutation/);
    expect(() => read(Uint8Array.of(3))).toThrow(DecodeError);
  });
});

describe("layer references", () => {
  const index = new Map([["classifier", 0]]);
  const str = (i: number): string => {
    if (i > 0) throw new DecodeError("out of range");
    return "classifier";
  };
  it("derives a layer that is the name's parent path and stores others as strings", () => {
    const lc = { previous: true, derived: true };
    expect(parentOf("a/b/c")).toBe("a/b");
    expect(parentOf("head")).toBeUndefined();
    expect(parentOf("/x")).toBeUndefined();
    expect(layerNeedsString("dense_1/kernel", "dense_1", lc)).toBe(false);
    expect(layerNeedsString("head", "classifier", lc)).toBe(true);
    expect(layerCode("dense_1/kernel", "dense_1", undefined, index, lc)).toBe(2);
    expect(layerCode("dense_1/bias", "dense_1", "dense_1", index, lc)).toBe(1);
    expect(layerCode("head", "classifier", undefined, index, lc)).toBe(3);
    expect(resolveLayer(2, "dense_1/kernel", undefined, str, lc)).toBe("dense_1");
    expect(resolveLayer(3, "head", undefined, str, lc)).toBe("classifier");
    // Without the flag: the earlier codes (0 none, 1 previous, index + 2).
    expect(resolveLayer(2, "head", undefined, str, { previous: true, derived: false })).toBe("classifier");
    expect(resolveLayer(1, "x/y", undefined, str, { previous: false, derived: false })).toBe("classifier");
  });

  it("rejects a derived layer for a name without a parent, and a previous layer without one", () => {
    expect(() => resolveLayer(2, "head", undefined, str, { previous: true, derived: true })).toThrow(/has no "\/"/);
    expect(() => resolveLayer(1, "head", undefined, str, { previous: false, derived: true })).toThrow(DecodeError);
    expect(() => resolveLayer(1, "a/b", undefined, str, { previous: true, derived: true })).toThrow(/repeats a layer/);
  });
});
