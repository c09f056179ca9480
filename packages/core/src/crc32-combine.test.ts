import fc from "fast-check";
import { crc32 } from "./crc32.js";
import { describe, expect, it } from "vitest";
import { crc32Combine, crc32Shift } from "./crc32-combine.js";

describe("crc32Shift", () => {
  it("crc(A‖B) = shift(crc(A), |B|) ⊕ crc(B) (property, zlib's crc32_combine)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect((crc32Shift(crc32(a, 0, a.length), b.length) ^ crc32(b, 0, b.length)) >>> 0).toBe(crc32(ab, 0, ab.length));
      }),
    );
  });

  it("crc32Combine joins the CRCs of any split, in any number of pieces", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat({ max: 400 }), { maxLength: 6 }), (all, cuts) => {
        const at = [...new Set([0, all.length, ...cuts.map((c) => c % (all.length + 1))])].sort((x, y) => x - y);
        let crc = 0;
        for (let i = 1; i < at.length; i++) crc = crc32Combine(crc, crc32(all, at[i - 1]!, at[i]!), at[i]! - at[i - 1]!);
        expect(crc).toBe(crc32(all, 0, all.length));
      }),
    );
  });

  it("is the identity for no bytes", () => {
    expect(crc32Shift(0xdeadbeef, 0)).toBe(0xdeadbeef);
  });
});
