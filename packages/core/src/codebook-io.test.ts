import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { readCodebook, writeCodebook } from "./codebook-io.js";
import { ErrorCodes } from "./errors.js";

function bytesOf(cb: Codebook): Uint8Array {
  const w = new ByteWriter(64);
  writeCodebook(w, cb);
  return w.finish();
}
const roundTrip = (cb: Codebook): Codebook => readCodebook(new ByteReader(bytesOf(cb)));
const f32 = (xs: number[]) => Float32Array.from(xs);
const bitsOf = (a: Float32Array) => [...new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))];

describe("codebook serialization", () => {
  it("round-trips affine codebooks bit for bit, whatever their zero points (integers, shared, > 255, fractional, −0)", () => {
    const zeroPoint = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((v) => v),
      fc.integer({ min: 256, max: 65535 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(Math.fround),
      fc.constant(-0),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(zeroPoint, { minLength: 1, maxLength: 40 }), fc.boolean(), (levels, zps, shared) => {
        const z = shared ? zps.map(() => zps[0]!) : zps;
        const cb: Codebook = { kind: "affine", id: "a", levels, scale: f32(z.map((_, i) => 0.01 * (i + 1))), zeroPoint: f32(z) };
        const back = roundTrip(cb) as Extract<Codebook, { kind: "affine" }>;
        expect(back.levels).toBe(levels);
        expect(bitsOf(back.scale)).toEqual(bitsOf(cb.scale));
        expect(bitsOf(back.zeroPoint)).toEqual(bitsOf(cb.zeroPoint));
      }),
    );
  });

  it("stores integer zero points as integers: 40 bits per group with u8 zero points, 32 + one varint when shared", () => {
    const n = 64,
      scale = f32(Array.from({ length: n }, (_, i) => 0.001 * (i + 1)));
    const full = bytesOf({ kind: "affine", id: "x", levels: 256, scale, zeroPoint: f32(Array.from({ length: n }, (_, i) => i + 0.5)) }).length;
    const u8 = bytesOf({ kind: "affine", id: "x", levels: 256, scale, zeroPoint: f32(Array.from({ length: n }, (_, i) => i)) }).length;
    const shared = bytesOf({ kind: "affine", id: "x", levels: 255, scale, zeroPoint: new Float32Array(n).fill(127) }).length;
    expect(full - u8).toBe(3 * n - 1);
    expect(u8 - shared).toBe(n - 1);
  });

  it("omits all-zero μ of grid codebooks and restores them (a −0 or non-zero μ is kept)", () => {
    const base = { kind: "grid", id: "g", levels: 15, xMax: 2.5, midtread: true, sigma: f32([0.1, 0.2, 0.3]) } as const;
    const zero = roundTrip({ ...base, mu: new Float32Array(3) }) as Extract<Codebook, { kind: "grid" }>;
    expect([...zero.mu]).toEqual([0, 0, 0]);
    expect(bytesOf({ ...base, mu: new Float32Array(3) }).length).toBe(bytesOf({ ...base, mu: f32([0, 0.5, 0]) }).length - 12);
    for (const mu of [f32([0, -0, 0]), f32([0, 1e-30, 0])]) expect(bitsOf((roundTrip({ ...base, mu }) as typeof zero).mu)).toEqual(bitsOf(mu));
  });

  it("turns truncated compact codebooks and unknown zero-point layouts into DecodeError", () => {
    const good = bytesOf({ kind: "affine", id: "a", levels: 256, scale: f32([1, 2, 3, 4]), zeroPoint: f32([1, 2, 3, 4]) });
    for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, good.length - 5)]) {
      expect(() => readCodebook(new ByteReader(bad))).toThrow(expect.objectContaining({ code: ErrorCodes.DECODE }));
    }
    const layout = Uint8Array.from(good);
    layout[good.length - 5] = 9; // the zero-point layout byte
    expect(() => readCodebook(new ByteReader(layout))).toThrow(/unknown zero-point layout 9/);
  });
});
