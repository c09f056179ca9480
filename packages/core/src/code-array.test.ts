import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeArray, isCodeArray, uint32Codes } from "./code-array.js";
import { assertQuantizedTensor } from "./validate.js";
import type { Codebook } from "./codebook.js";

describe("codeArray", () => {
  it("takes the narrowest array that holds codes 0 … size−1", () => {
    const kinds = [1, 2, 256, 257, 65536, 65537, 2 ** 32].map((size) => codeArray(3, size).constructor.name);
    expect(kinds).toEqual(["Uint8Array", "Uint8Array", "Uint8Array", "Uint16Array", "Uint16Array", "Uint32Array", "Uint32Array"]);
    expect(codeArray(5, 16)).toEqual(new Uint8Array(5));
  });

  it("holds every code of its alphabet exactly (fast-check)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 50 }), (size, picks) => {
        const codes = picks.map((p) => Math.min(size - 1, Math.floor(p * size)));
        const a = codeArray(codes.length, size);
        codes.forEach((c, i) => (a[i] = c));
        expect(Array.from(a)).toEqual(codes);
        expect(Array.from(uint32Codes(a))).toEqual(codes);
      }),
      { seed: 18 },
    );
  });
});

describe("uint32Codes", () => {
  it("returns a Uint32Array as it is and widens the others", () => {
    const w = Uint32Array.of(1, 70000);
    expect(uint32Codes(w)).toBe(w);
    const u = uint32Codes(Uint16Array.of(3, 65535));
    expect(u).toBeInstanceOf(Uint32Array);
    expect(Array.from(u)).toEqual([3, 65535]);
  });
});

describe("isCodeArray and validation", () => {
  const cb: Codebook = { kind: "levels", id: "l", levels: Float32Array.of(-1, 0, 1) };
  const t = (codes: unknown) => ({ name: "t", shape: [2], codebook: "l", grouping: { kind: "tensor" }, codes }) as never;

  it("accepts the three unsigned arrays and nothing else", () => {
    expect([new Uint8Array(1), new Uint16Array(1), new Uint32Array(1)].every(isCodeArray)).toBe(true);
    expect([new Int32Array(1), new Float32Array(1), [0], new Uint8ClampedArray(1), null].some(isCodeArray)).toBe(false);
  });

  it("validates narrow codes like wide ones and refuses other arrays with a typed error", () => {
    expect(() => assertQuantizedTensor(t(Uint8Array.of(0, 2)), cb)).not.toThrow();
    expect(() => assertQuantizedTensor(t(Uint16Array.of(0, 3)), cb)).toThrow(/outside its codebook's 3 codes/);
    expect(() => assertQuantizedTensor(t(Float32Array.of(0, 0.5)), cb)).toThrow(/not a Uint8Array, Uint16Array or Uint32Array/);
    expect(() => assertQuantizedTensor(t([0, 1]), cb)).toThrow(expect.objectContaining({ code: "QF_INVALID_QUANTIZED" }));
  });
});
