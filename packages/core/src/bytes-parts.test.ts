import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ByteReader, ByteWriter, concatBytes } from "./bytes.js";
import { DecodeError } from "./errors.js";

/** Splits `b` at the given cut points (any order, duplicates give empty parts). */
function split(b: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...cuts.map((c) => c % (b.length + 1)), 0, b.length].sort((x, y) => x - y);
  return at.slice(1).map((end, i) => b.subarray(at[i]!, end));
}

type Op = { t: "u8" | "u16" | "u32" | "f32" | "f64" | "varint" | "str" } | { t: "bytes" | "need"; n: number } | { t: "f32array"; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constantFrom("u8", "u16", "u32", "f32", "f64", "varint", "str").map((t) => ({ t }) as Op),
  fc.record({ t: fc.constantFrom("bytes" as const, "need" as const), n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ t: fc.constant("f32array" as const), n: fc.integer({ min: 0, max: 6 }) }),
);

/** Every read of `ops` on `r`: its value (bytes and arrays as plain arrays), or "error" and then nothing more. */
function reads(r: ByteReader, ops: readonly Op[]): unknown[] {
  const out: unknown[] = [];
  for (const op of ops) {
    try {
      if (op.t === "bytes") out.push([...r.bytes(op.n)]);
      else if (op.t === "need") out.push(r.need(op.n));
      else if (op.t === "f32array") out.push([...r.f32array(op.n)]);
      else out.push(r[op.t]());
      out.push(r.remaining);
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      out.push("error");
      break;
    }
  }
  return out;
}

describe("ByteReader.over (a reader of parts)", () => {
  it("reads any split of any bytes exactly as one array, errors included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 12 }), fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 120 }), (b, cuts, ops, cut) => {
        // Bounded below the parts' length too: the bytes after `length` are not read.
        const length = cut % 3 === 0 ? b.length : cut % (b.length + 1);
        const one = new ByteReader(b, 0, length, "probe");
        const parts = ByteReader.over(split(b, cuts), length, "probe");
        expect(parts.remaining).toBe(length);
        expect(reads(parts, ops)).toEqual(reads(one, ops));
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  it("hands back a part read whole as a view of that very part, and copies only reads spanning parts", () => {
    const w = new ByteWriter(16);
    const stream = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    w.str("head").varint(stream.length).ref(stream).u32(7);
    const r = ByteReader.over(w.finishParts(), w.length, "probe");
    expect(r.str()).toBe("head");
    const got = r.bytes(r.varint());
    expect(got.buffer).toBe(stream.buffer);
    expect(got.byteOffset).toBe(stream.byteOffset);
    expect(got.length).toBe(stream.length);
    expect(r.u32()).toBe(7);
    expect(r.remaining).toBe(0);
    // A u32 across two parts comes from a copy, with the right value.
    const s = ByteReader.over([Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 9)], 5);
    expect(s.u32()).toBe(0x04030201);
    expect(s.u8()).toBe(9);
    expect(() => s.u8()).toThrow(/truncated/);
  });
});

describe("ByteWriter.finishParts", () => {
  it("holds the bytes finish() gives, the referenced arrays themselves among them", () => {
    const sizeArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 4090, max: 9000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), sizeArb), { maxLength: 10 }), (items) => {
        const a = new ByteWriter(16),
          b = new ByteWriter(16);
        const big: Uint8Array[] = [];
        for (const [v, n] of items) {
          const arr = Uint8Array.from({ length: n }, (_, i) => (v + i * 7) & 0xff);
          a.u32(v).ref(arr);
          b.u32(v).ref(arr);
          if (n >= 4096) big.push(arr);
        }
        const parts = b.finishParts();
        expect(concatBytes(parts)).toEqual(a.finish());
        for (const arr of big) expect(parts).toContain(arr);
      }),
      { numRuns: 40, seed: 17 },
    );
  });
});
