import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32, crc32Table } from "./crc32.js";

/** Bit-at-a-time reference CRC-32 (the definition). */
function crcRef(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
  it("continues across chunks", () => {
    const b = new TextEncoder().encode("hello, quantforge world");
    expect(crc32(b, 7, b.length, crc32(b, 0, 7))).toBe(crc32(b));
  });
  it("equals the bitwise definition on any bytes and any sub-range (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (b, x, y) => {
        const s = b.length ? x % (b.length + 1) : 0;
        const e = s + (b.length - s ? y % (b.length - s + 1) : 0);
        expect(crc32(b, s, e)).toBe(crcRef(b.subarray(s, e)));
        expect(crc32(b, e, b.length, crc32(b, 0, e))).toBe(crcRef(b));
      }),
      { numRuns: 300, seed: 5 },
    );
  });
  it("the platform's CRC (ranges of 4 MiB and more) equals the table loop, any offset and start value (fast-check)", () => {
    const big = new Uint8Array((4 << 20) + 200);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (x, y, c) => {
        const s = x % 100;
        const e = big.length - (y % 100);
        expect(crc32(big, s, e, c)).toBe(crc32Table(big, s, e, c));
      }),
      { numRuns: 8, seed: 9 },
    );
    expect(crc32(big)).toBe(crcRef(big));
  });
});
