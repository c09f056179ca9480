import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeArray, isCodeArray, uint32Codes, wordAligned } from "./code-array.js";
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

describe("wordAligned", () => {
  it("splits any range of byte or halfword codes into unaligned ends and whole words holding exactly the middle codes (fast-check)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(7), fc.nat(40), fc.nat(40), fc.nat(40), (halves, pad, n, s, e) => {
        const Kind = halves ? Uint16Array : Uint8Array;
        const all = new Kind(pad + n + 3).map((_, i) => (i * 37 + 11) % (halves ? 65_536 : 256));
        const codes = all.subarray(pad, pad + n);
        const start = Math.min(s, n),
          end = Math.max(start, Math.min(e, n));
        const { words, head, tail } = wordAligned(codes, start, end);
        expect(start <= head && head <= tail && tail <= end).toBe(true);
        expect(words.byteOffset % 4).toBe(0);
        expect(head === tail || (codes.byteOffset + head * codes.BYTES_PER_ELEMENT) % 4 === 0).toBe(true);
        // Only the unaligned ends stay outside the words: fewer than one word's codes each.
        expect((head - start) * codes.BYTES_PER_ELEMENT < 4 && (end - tail) * codes.BYTES_PER_ELEMENT < 4).toBe(true);
        const size = codes.BYTES_PER_ELEMENT;
        expect(Array.from(new Uint8Array(words.buffer, words.byteOffset, words.byteLength))).toEqual(Array.from(new Uint8Array(codes.buffer, codes.byteOffset + head * size, (tail - head) * size)));
      }),
    );
  });
});
