import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bitsFor, codeWidth, orOf, packBits, packedBytes, paddingIsZero, unpackBits } from "./fixed-impl.js";

describe("codeWidth", () => {
  it("is max(1, ceil(log2 K))", () => {
    const cases: [number, number][] = [
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 3],
      [16, 4],
      [17, 5],
      [255, 8],
      [256, 8],
      [257, 9],
      [65535, 16],
      [65536, 16],
      [65537, 17],
      [2 ** 31, 31],
      [2 ** 31 + 1, 32],
      [2 ** 32, 32],
    ];
    for (const [k, b] of cases) expect(codeWidth(k), `K=${k}`).toBe(b);
  });
  it("rejects impossible alphabets", () => {
    for (const k of [0, -1, 1.5, 2 ** 32 + 1, NaN]) expect(() => codeWidth(k)).toThrow(RangeError);
  });
});

describe("bitsFor", () => {
  it("counts the bits of a value", () => {
    expect([0, 1, 2, 3, 4, 255, 256, 2 ** 32 - 1].map(bitsFor)).toEqual([0, 1, 2, 2, 3, 8, 9, 32]);
  });
});

describe("packBits / unpackBits", () => {
  it("packs LSB-first with zero padding (golden bytes)", () => {
    const out = new Uint8Array(2);
    expect(packBits(Uint32Array.from([1, 2, 3]), 3, out, 0)).toBe(3);
    // v0=001 at bits 0–2, v1=010 at bits 3–5, v2=011 at bits 6–8.
    expect([...out]).toEqual([0b11010001, 0b00000000]);
    const w12 = new Uint8Array(3);
    packBits(Uint32Array.from([0xabc, 0x123]), 12, w12, 0);
    expect([...w12]).toEqual([0xbc, 0x3a, 0x12]);
    const w16 = new Uint8Array(4);
    packBits(Uint32Array.from([0x1234, 0xfedc]), 16, w16, 0);
    expect([...w16]).toEqual([0x34, 0x12, 0xdc, 0xfe]);
  });

  it("round-trips every width 0…32 at any byte offset (fast-check)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 31 }), (width, offset, n, seed) => {
        const values = new Uint32Array(n);
        let s = seed >>> 0;
        for (let i = 0; i < n; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          values[i] = width === 0 ? 0 : width === 32 ? s : s & ((1 << width) - 1);
        }
        const nbytes = packedBytes(n, width);
        const buf = new Uint8Array(offset + nbytes + 5).fill(0xee);
        const or = packBits(values, width, buf, offset);
        if (width < 32) expect(or).toBe(values.reduce((a, b) => (a | b) >>> 0, 0));
        // Bytes outside the packed range are untouched.
        expect(buf[offset - 1] ?? 0xee).toBe(0xee);
        expect(buf[offset + nbytes]).toBe(0xee);
        expect(paddingIsZero(buf, offset, n, width)).toBe(true);
        const back = new Uint32Array(n);
        // Decode from a view with a different alignment too.
        unpackBits(buf, offset, width, back);
        expect(back).toEqual(values);
        const view = buf.subarray(offset > 0 ? 1 : 0);
        const back2 = new Uint32Array(n);
        unpackBits(view, offset > 0 ? offset - 1 : 0, width, back2);
        expect(back2).toEqual(values);
      }),
      { numRuns: 400, seed: 7 },
    );
  });

  it("reports a value wider than the width through the returned OR", () => {
    for (const width of [3, 4, 8, 16]) {
      const out = new Uint8Array(8);
      const or = packBits(Uint32Array.from([1, 2 ** width, 0]), width, out, 0);
      expect(or >>> width, `width ${width}`).not.toBe(0);
    }
  });

  it("detects stray padding bits", () => {
    const b = new Uint8Array([0b00000101]);
    expect(paddingIsZero(b, 0, 1, 3)).toBe(true);
    b[0] = 0b10000101;
    expect(paddingIsZero(b, 0, 1, 3)).toBe(false);
    expect(paddingIsZero(b, 0, 1, 8)).toBe(true);
  });
});

describe("orOf", () => {
  it("is the OR of every value for byte, halfword and word codes at any offset and length (fast-check)", () => {
    const kinds = [Uint8Array, Uint16Array, Uint32Array] as const;
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2), fc.array(fc.nat(), { maxLength: 70 }), fc.nat({ max: 9 }), (k, raw, skip) => {
        const Kind = kinds[k]!;
        const bits = 8 * Kind.BYTES_PER_ELEMENT;
        const whole = Kind.from([...new Array<number>(skip).fill(2 ** bits - 1), ...raw.map((v) => v % 2 ** Math.min(bits, 31))]);
        // A view that starts `skip` codes in (unaligned to words) over a buffer whose other codes are all ones.
        const view = whole.subarray(skip);
        let or = 0;
        for (const v of view) or |= v;
        expect(orOf(view)).toBe(or >>> 0);
      }),
      { seed: 18 },
    );
  });

  it("packBits at 8 and 16 bits returns it for narrow codes", () => {
    const b = Uint8Array.of(1, 2, 4, 8, 16, 32, 64, 3);
    expect(packBits(b.subarray(1), 8, new Uint8Array(7), 0)).toBe(127);
    const h = Uint16Array.of(0x100, 0x8000, 1);
    expect(packBits(h, 16, new Uint8Array(6), 0)).toBe(0x8101);
  });

  it("with onlyFitCheck skips it (returns 0) only where the array's type cannot exceed the width, with the same bytes", () => {
    const b = Uint8Array.of(1, 2, 4, 8, 200);
    const [plain, checked] = [new Uint8Array(5), new Uint8Array(5)];
    packBits(b, 8, plain, 0);
    expect(packBits(b, 8, checked, 0, true)).toBe(0);
    expect(checked).toEqual(plain);
    const h = Uint16Array.of(0x100, 0x8000, 1);
    expect(packBits(h, 16, new Uint8Array(6), 0, true)).toBe(0);
    // Words at 8 or 16 bits, bytes at 4: a value can exceed, so the OR still reports it.
    expect(packBits(Uint32Array.of(1, 256), 8, new Uint8Array(2), 0, true) >>> 8).not.toBe(0);
    expect(packBits(Uint32Array.of(1, 65_536), 16, new Uint8Array(4), 0, true) >>> 16).not.toBe(0);
    expect(packBits(Uint8Array.of(1, 16), 4, new Uint8Array(1), 0, true) >>> 4).not.toBe(0);
  });
});
