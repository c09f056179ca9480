import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.js";

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
  it("continues across chunks", () => {
    const b = new TextEncoder().encode("hello, quantforge world");
    expect(crc32(b, 7, b.length, crc32(b, 0, 7))).toBe(crc32(b));
  });
});
