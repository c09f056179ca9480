import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FLOAT16_MAX, decodeFloat16Bits, encodeFloat16, fromFloat16Bits, toFloat16Bits } from "./float16.js";

/** Reference narrowing: nearest half by exhaustive search over the finite halves, ties to even. */
function nearestHalfBits(v: number): number {
  const x = Math.fround(v);
  if (Number.isNaN(x)) return 0x7e00;
  let best = -1,
    bestErr = Infinity;
  for (let h = 0; h < 0x7c00; h++) {
    const err = Math.abs(Math.abs(x) - fromFloat16Bits(h));
    if (err < bestErr || (err === bestErr && (h & 1) === 0)) {
      best = h;
      bestErr = err;
    }
  }
  // Beyond the largest half by at least half an ulp (2^4 at 65504) the result is Inf.
  if (Math.abs(x) >= 65520) best = 0x7c00;
  return (x < 0 || Object.is(x, -0) ? 0x8000 : 0) | best;
}

describe("float16", () => {
  it("round-trips every half bit pattern exactly (NaNs stay NaN)", () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromFloat16Bits(h);
      if (Number.isNaN(v)) {
        expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(v)))).toBe(true);
        continue;
      }
      expect(toFloat16Bits(v)).toBe(h);
    }
  });

  it("knows the landmarks", () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(FLOAT16_MAX)).toBe(0x7bff);
    expect(toFloat16Bits(65519.99)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // the tie rounds to even, which is Inf
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → even (0)
    expect(toFloat16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x03ff)).toBe(1023 * 2 ** -24);
  });

  it("rounds ties to even at every binade", () => {
    for (let e = -14; e <= 15; e++) {
      const ulp = 2 ** (e - 10);
      const base = 2 ** e; // mantissa 0 (even)
      expect(toFloat16Bits(base + ulp / 2)).toBe(toFloat16Bits(base));
      expect(toFloat16Bits(base + 1.5 * ulp)).toBe(toFloat16Bits(base + 2 * ulp));
    }
  });

  it("matches an exhaustive nearest-half search on random floats", () => {
    fc.assert(
      fc.property(fc.float({ min: -70000, max: 70000, noNaN: true }), (v) => {
        expect(toFloat16Bits(v)).toBe(nearestHalfBits(v));
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.float({ min: Math.fround(-1e-4), max: Math.fround(1e-4), noNaN: true }), (v) => {
        expect(toFloat16Bits(v)).toBe(nearestHalfBits(v));
      }),
      { numRuns: 100 },
    );
  });

  it("encodes and decodes arrays", () => {
    const src = Float32Array.of(0.1, -3.25, 70000, 1e-9);
    const bits = new Uint16Array(4);
    encodeFloat16(src, bits);
    const back = new Float32Array(4);
    decodeFloat16Bits(bits, back);
    expect([...back]).toEqual([fromFloat16Bits(toFloat16Bits(0.1)), -3.25, Infinity, 0]);
  });
});
