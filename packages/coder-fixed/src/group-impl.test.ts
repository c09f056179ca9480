import { describe, expect, it } from "vitest";
import { DecodeError, codeArray, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { GROUPED_CONTAINER_VERSION, decodeContainer, encodeContainer } from "@quantforge/core/format";
import { fc, test } from "@fast-check/vitest";
import { FIXED_GROUP_VERSION, decodeFixedGroup, encodeFixedGroup, encodeFixed, fixedCoder } from "./index.js";
import { decodeFixedGroupEncoded } from "./group-impl.js";

// Bytes: the decoder returns codes of a ≤ 8-bit stream in a Uint8Array (core's codeArray), and toEqual compares array kinds.
const t = (shape: number[], codes: number[], extra: Partial<QuantizedTensor> = {}): QuantizedTensor => ({ name: "", shape, codebook: "", grouping: { kind: "tensor" }, codes: Uint8Array.from(codes), ...extra });
const tensors: QuantizedTensor[] = [
  t([2, 3], [0, 1, 2, 3, 4, 5], { grouping: { kind: "group", size: 4 } }),
  t([3, 2], [5, 5, 0, 1, 2, 3], { grouping: { kind: "channel", axis: 1 } }),
  t([10], [1, 4, 2], { sparse: { positions: Uint32Array.of(0, 5, 9) } }),
  t([0, 4], []),
  t([], [3]),
];

describe("fixed-coder group (container version 3)", () => {
  it("round-trips dense, sparse, per-channel, per-group, empty and scalar tensors at the codebook's width", () => {
    const g = encodeFixedGroup(tensors, 3, 6);
    expect(g.bytes[0]).toBe(FIXED_GROUP_VERSION);
    expect(g.tensorBytes.reduce((a, b) => a + b, 0)).toBe(g.bytes.length);
    expect(decodeFixedGroup(g.bytes, tensors.length, 3)).toEqual(tensors);
  });

  it("decodeFixedGroupEncoded: what decodeFixedGroup gives, with the known dense codes arrays taken as they are", () => {
    const g = encodeFixedGroup(tensors, 3, 6);
    const fast = decodeFixedGroupEncoded(g.bytes, tensors.length, 3, tensors);
    expect(fast).toEqual(decodeFixedGroup(g.bytes, tensors.length, 3));
    expect(fast[0]!.codes).toBe(tensors[0]!.codes);
    expect(fast[1]!.codes).toBe(tensors[1]!.codes);
    expect(fast[2]!.codes).not.toBe(tensors[2]!.codes); // sparse: unpacked with its positions
    // The heads are still parsed and checked: a truncated group is a DecodeError on this path too.
    expect(() => decodeFixedGroupEncoded(g.bytes.subarray(0, g.bytes.length - 1), tensors.length, 3, tensors)).toThrow(DecodeError);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 300 }), fc.integer({ min: 1, max: 32 })])("round-trips any codes that fit the width", (values, width) => {
    const codes = values.map((v) => v % 2 ** Math.min(width, 10));
    // Codes in the array the decoder allocates for `width` (core's codeArray).
    const at = (shape: number[], c: number[]) => ({ ...t(shape, []), codes: Object.assign(codeArray(c.length, 2 ** width), c) });
    const ts = [at([codes.length], codes), at([2], [0, 0])];
    expect(decodeFixedGroup(encodeFixedGroup(ts, width, 2 ** width).bytes, 2, width)).toEqual(ts);
  });

  it("is smaller than the stand-alone streams it replaces by their headers", () => {
    const cb: Codebook = { kind: "affine", id: "", levels: 6, scale: Float32Array.of(1), zeroPoint: Float32Array.of(0) };
    const streams = tensors.map((x) => encodeFixed(x, cb).length).reduce((a, b) => a + b, 0);
    expect(encodeFixedGroup(tensors, 3, 6).bytes.length).toBeLessThan(streams - 9 * tensors.length);
  });

  it("refuses codes outside the codebook and malformed tensors", () => {
    expect(() => encodeFixedGroup([t([2], [0, 6])], 3, 6)).toThrow(/outside its codebook's 6 codes/);
    expect(() => encodeFixedGroup([t([2], [0])], 3, 6)).toThrow(/1 codes for 2 elements/);
    expect(() => encodeFixedGroup([t([4], [0, 1], { sparse: { positions: Uint32Array.of(2, 1) } })], 3, 6)).toThrow(/strictly increasing/);
  });

  it("turns truncation, bad versions, heads, padding and leftovers into DecodeErrors", () => {
    const g = encodeFixedGroup(tensors, 3, 6).bytes;
    for (let k = 0; k < g.length; k++) expect(() => decodeFixedGroup(g.subarray(0, k), tensors.length, 3)).toThrow(DecodeError);
    const v = g.slice();
    v[0] = 9;
    expect(() => decodeFixedGroup(v, tensors.length, 3)).toThrow(/version 9/);
    const h = g.slice();
    h[1] = 0x13;
    expect(() => decodeFixedGroup(h, tensors.length, 3)).toThrow(/unknown head/);
    const one = encodeFixedGroup([t([1], [1])], 3, 6).bytes; // version | head | 1 dim | 1 | code byte
    const pad = one.slice();
    pad[4]! |= 0x80;
    expect(() => decodeFixedGroup(pad, 1, 3)).toThrow(/padding/);
    expect(() => decodeFixedGroup(Uint8Array.of(...one, 0), 1, 3)).toThrow(/unread bytes/);
    expect(() => decodeFixedGroup(g, tensors.length, 3, { maxElements: 10 })).toThrow(DecodeError);
  });

  it("makes the coder write container version 3, read back exactly", () => {
    const coder = instantiate(fixedCoder());
    const cb: Codebook = { kind: "affine", id: "k", levels: 6, scale: Float32Array.of(1), zeroPoint: Float32Array.of(0) };
    const qm = { codebooks: [cb], tensors: tensors.map((x, i) => ({ ...x, name: `t${i}`, codebook: "k" })) };
    const enc = encodeContainer(qm, coder);
    expect(enc.bytes[4]).toBe(GROUPED_CONTAINER_VERSION);
    expect(decodeContainer(enc.bytes, () => coder).model.tensors).toEqual(qm.tensors);
  });
});
