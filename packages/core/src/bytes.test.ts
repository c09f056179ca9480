import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BitReader, BitWriter } from "./bits.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { DecodeError, ErrorCodes } from "./errors.js";

type Item = { t: "u8" | "u16" | "u32" | "varint"; v: number } | { t: "f32" | "f64"; v: number } | { t: "str"; v: string } | { t: "f32array"; v: Float32Array };

const itemArb: fc.Arbitrary<Item> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: "u8" as const, v })),
  fc.integer({ min: 0, max: 65535 }).map((v) => ({ t: "u16" as const, v })),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v) => ({ t: "u32" as const, v })),
  fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })).map((v) => ({ t: "varint" as const, v })),
  fc.float({ noNaN: true }).map((v) => ({ t: "f32" as const, v })),
  fc.double({ noNaN: true }).map((v) => ({ t: "f64" as const, v })),
  fc.string({ unit: "grapheme", maxLength: 20 }).map((v) => ({ t: "str" as const, v })),
  fc.float32Array({ maxLength: 10, noNaN: true }).map((v) => ({ t: "f32array" as const, v })),
);

describe("ByteWriter.ref and finish(extra)", () => {
  it("gives the same bytes as copying, for any mix of small writes and referenced arrays of any size", () => {
    const sizeArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 4090, max: 9000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), sizeArb), { maxLength: 12 }), fc.integer({ min: 0, max: 8 }), (items, extra) => {
        const a = new ByteWriter(16),
          b = new ByteWriter(16);
        for (const [v, n] of items) {
          const arr = Uint8Array.from({ length: n }, (_, i) => (v + i * 7) & 0xff);
          a.u32(v).bytes(arr);
          b.u32(v).ref(arr);
          expect(b.length).toBe(a.length);
        }
        const copied = a.finish(),
          referenced = b.finish(extra);
        expect(referenced.length).toBe(copied.length + extra);
        expect(referenced.subarray(0, copied.length)).toEqual(copied);
        expect([...referenced.subarray(copied.length)]).toEqual(new Array(extra).fill(0));
      }),
    );
  });
});

describe("ByteWriter / ByteReader", () => {
  it("round-trip any sequence of values, growing past the initial capacity", () => {
    fc.assert(
      fc.property(fc.array(itemArb, { maxLength: 60 }), (items) => {
        const w = new ByteWriter(1);
        for (const it of items) {
          if (it.t === "f32array") w.varint(it.v.length).f32array(it.v);
          else (w[it.t] as (v: unknown) => ByteWriter)(it.v);
        }
        const b = w.finish();
        expect(b.length).toBe(w.length);
        // Read back from an unaligned view inside a larger buffer.
        const big = new Uint8Array(b.length + 3);
        big.set(b, 3);
        const r = new ByteReader(big.subarray(3));
        for (const it of items) {
          if (it.t === "f32array") expect(r.f32array(r.varint())).toEqual(it.v);
          else expect(r[it.t]()).toBe(it.v);
        }
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 200, seed: 8 },
    );
  });

  it("turns every overrun and malformed value into DecodeError", () => {
    const w = new ByteWriter().u32(7).str("héllo").finish();
    for (let k = 0; k < w.length; k++) {
      const r = new ByteReader(w.subarray(0, k), 0, k, "probe");
      expect(() => {
        r.u32();
        r.str();
      }).toThrow(DecodeError);
    }
    expect(() => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).varint()).toThrow(/over-long varint/);
    expect(() => new ByteReader(new Uint8Array([2, 0xc3, 0x28])).str()).toThrow(expect.objectContaining({ code: ErrorCodes.DECODE }));
    const r = new ByteReader(new Uint8Array(4));
    expect(() => r.need(NaN)).toThrow(DecodeError);
    expect(() => r.need(-1)).toThrow(DecodeError);
    expect(() => r.f32array(2)).toThrow(/truncated/);
    expect(() => r.bytes(5)).toThrow(DecodeError);
    expect(r.pos).toBe(0);
    // A reader bounded by `end` does not read past it even if the buffer goes on.
    expect(() => new ByteReader(new Uint8Array(8), 2, 4).u32()).toThrow(DecodeError);
  });
});

describe("BitWriter / BitReader", () => {
  it("round-trip any sequence of (value, width ≤ 32) LSB-first", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.nat({ max: 2 ** 32 - 1 })), { maxLength: 200 }), (items) => {
        const w = new BitWriter(1);
        let bits = 0;
        const vals = items.map(([n, v]) => {
          const x = n === 32 ? v : n === 0 ? 0 : v % 2 ** n;
          w.write(x, n);
          bits += n;
          return x;
        });
        expect(w.bitLength).toBe(bits);
        const b = w.finish();
        expect(b.length).toBe(Math.ceil(bits / 8));
        const r = new BitReader(b);
        items.forEach(([n], i) => expect(r.readLong(n)).toBe(vals[i]));
        expect(r.overrun).toBe(false);
        expect(r.bytePosition).toBe(b.length);
      }),
      { numRuns: 200, seed: 9 },
    );
  });

  it("packs LSB-first (golden) and supports peek/skip", () => {
    const w = new BitWriter();
    w.write(0b101, 3);
    w.write(0b11, 2);
    w.write(0x1ff, 9);
    expect([...w.finish()]).toEqual([0b11111101, 0b00111111]);
    const r = new BitReader(new Uint8Array([0b11111101, 0b00111111]));
    expect(r.peek(3)).toBe(0b101);
    r.skip(3);
    expect(r.read(2)).toBe(0b11);
    expect(r.read(9)).toBe(0x1ff);
  });

  it("reads zero bits past the end and reports the overrun", () => {
    const r = new BitReader(new Uint8Array([0xff]), 0, 1);
    expect(r.read(8)).toBe(0xff);
    expect(r.overrun).toBe(false);
    expect(r.read(4)).toBe(0);
    expect(r.overrun).toBe(true);
    const s = new BitReader(new Uint8Array([1, 2, 3]), 1, 2);
    expect(s.read(8)).toBe(2);
    expect(s.read(1)).toBe(0);
    expect(s.overrun).toBe(true);
  });
});
