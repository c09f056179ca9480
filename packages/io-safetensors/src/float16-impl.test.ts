import { describe, expect, it } from "vitest";
import { bfloat16BitsToFloat32, decodeBfloat16, decodeFloat16, decodeFloat64, float16BitsToFloat32 } from "./float16-impl.js";
import { bits } from "./__fixtures__/files.js";

/** binary16 value by the textbook formula (IEEE 754 §3.4), computed in float64 with Math.pow. */
function halfByFormula(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * Math.pow(2, -24);
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

describe("float16 decoding", () => {
  it("decodes known bit patterns", () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x8001, -(2 ** -24)],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [h, v] of cases) expect(float16BitsToFloat32(h), `0x${h.toString(16)}`).toBe(v);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0xfc01)).toBeNaN();
  });

  it("agrees with the textbook formula on all 65536 patterns", () => {
    const src = new Uint16Array(65536);
    for (let i = 0; i < src.length; i++) src[i] = i;
    const out = new Float32Array(65536);
    decodeFloat16(src, out);
    for (let h = 0; h < 65536; h++) {
      const want = halfByFormula(h);
      if (Number.isNaN(want)) expect(out[h]).toBeNaN();
      else if (!Object.is(out[h], want)) expect.fail(`0x${h.toString(16)}: got ${out[h]}, want ${want}`);
    }
  });

  it("keeps the sign and payload of NaN halves in the float32 bits", () => {
    const out = new Float32Array(3);
    decodeFloat16(Uint16Array.of(0x7e00, 0x7c01, 0xfe3f), out);
    // quiet bit + payload shift left by 13 (fraction 10 → 23 bits), sign moves to bit 31
    expect(bits(out)).toEqual([0x7fc00000, 0x7f802000, (0xff800000 | (0x23f << 13)) >>> 0]);
  });

  it("decodes into a sub-view without touching neighbours", () => {
    const out = new Float32Array([9, 9, 9, 9]);
    decodeFloat16(Uint16Array.of(0x3c00, 0x4000), out.subarray(1, 3));
    expect(Array.from(out)).toEqual([9, 1, 2, 9]);
  });
});

describe("bfloat16 decoding", () => {
  it("decodes known bit patterns", () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc000, -2],
      [0x4049, 3.140625],
      [0x7f7f, 3.3895313892515355e38],
      [0x0080, 2 ** -126],
      [0x0001, 2 ** -133],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    for (const [h, v] of cases) expect(bfloat16BitsToFloat32(h), `0x${h.toString(16)}`).toBe(v);
    expect(Object.is(bfloat16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(bfloat16BitsToFloat32(0x7fc0)).toBeNaN();
  });

  it("places every pattern in the top half of the float32 bits", () => {
    const src = new Uint16Array(65536);
    for (let i = 0; i < src.length; i++) src[i] = i;
    const out = new Float32Array(65536);
    decodeBfloat16(src, out);
    const view = new DataView(out.buffer);
    for (let h = 0; h < 65536; h++) {
      // Independent route: the float32 whose big-endian bytes are [hi, lo, 0, 0].
      const f = new DataView(new Uint8Array([h >> 8, h & 0xff, 0, 0]).buffer).getFloat32(0, false);
      const got = view.getFloat32(h * 4, true);
      if (Number.isNaN(f) ? !Number.isNaN(got) : !Object.is(got, f)) expect.fail(`0x${h.toString(16)}: got ${got}, want ${f}`);
      if (view.getUint16(h * 4, true) !== 0) expect.fail(`0x${h.toString(16)}: low half not zero`);
    }
  });
});

describe("float64 narrowing", () => {
  it("rounds like Math.fround, overflowing to infinity", () => {
    const src = Float64Array.of(0.1, -1 / 3, 1e-46, 3.4028235677973366e38, 1e39, -1e39, -0, 2 ** -149 * 0.75);
    const out = new Float32Array(src.length);
    decodeFloat64(src, out);
    for (let i = 0; i < src.length; i++) expect(Object.is(out[i], Math.fround(src[i]!))).toBe(true);
    expect(out[4]).toBe(Infinity);
    expect(out[5]).toBe(-Infinity);
  });
});
