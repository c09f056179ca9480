import fc from "fast-check";
import { crc32 } from "@quantforge/core/format";
import { describe, expect, it } from "vitest";
import { crc32Shift } from "./crc-combine-impl.js";

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

  it("is the identity for no bytes", () => {
    expect(crc32Shift(0xdeadbeef, 0)).toBe(0xdeadbeef);
  });
});
