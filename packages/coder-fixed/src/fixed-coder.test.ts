import { describe, expect, it } from "vitest";
import { ErrorCodes, codeArray, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { ByteWriter, crc32, decodeContainer, encodeContainer } from "@quantforge/core/format";
import { fc, test } from "@fast-check/vitest";
import { FIXED_FORMAT_VERSION, decodeFixed, encodeFixed, fixedCoder } from "./index.js";
import { decodeFixedEncoded } from "./fixed-coder.js";

const affine = (id: string, levels: number, groups = 1): Codebook => ({ kind: "affine", id, levels, scale: new Float32Array(groups).fill(0.1), zeroPoint: new Float32Array(groups) });
const dense = (codes: number[], shape = [codes.length], codebook = "c"): QuantizedTensor => ({ name: "w", shape, codebook, grouping: { kind: "tensor" }, codes: Uint32Array.from(codes) });

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** Hand-built stream with a valid CRC, so only the structural checks can reject it. */
function craft(o: { version?: number; flags?: number; shape?: number[]; grouping?: [number, number?]; width?: number; count?: number; gapWidth?: number; payload?: number[] }): Uint8Array {
  const w = new ByteWriter();
  for (const c of "QFFX") w.u8(c.charCodeAt(0));
  w.u8(o.version ?? FIXED_FORMAT_VERSION)
    .u8(o.flags ?? 0)
    .str("w")
    .str("c");
  const shape = o.shape ?? [4];
  w.varint(shape.length);
  for (const d of shape) w.varint(d);
  const [gk, gp] = o.grouping ?? [0];
  w.u8(gk);
  if (gk !== 0) w.varint(gp ?? 0);
  w.u8(o.width ?? 2).varint(o.count ?? 4);
  if ((o.flags ?? 0) & 1) w.u8(o.gapWidth ?? 0);
  for (const b of o.payload ?? [0]) w.u8(b);
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

describe("fixed coder stream", () => {
  it("accepts the hand-built reference stream", () => {
    // 4 codes of 2 bits: 3,0,1,2 → 0b10_01_00_11.
    const t = decodeFixed(craft({ payload: [0b10010011] }));
    expect([...t.codes]).toEqual([3, 0, 1, 2]);
    expect(t).toMatchObject({ name: "w", shape: [4], codebook: "c", grouping: { kind: "tensor" } });
    expect(encodeFixed(dense([3, 0, 1, 2]), affine("c", 4))).toEqual(craft({ payload: [0b10010011] }));
  });

  it("stores exactly b = ceil(log2 K) bits per code plus a fixed header", () => {
    const n = 1 << 20;
    const codes = new Uint32Array(n).map((_, i) => (i * 7) % 256);
    const t: QuantizedTensor = { name: "dense/kernel", shape: [1024, 1024], codebook: "c", grouping: { kind: "tensor" }, codes };
    const s8 = encodeFixed(t, affine("c", 256));
    const s5 = encodeFixed({ ...t, codes: codes.map((c) => c % 17) }, affine("c", 17));
    expect(s8.length - n).toBe(s5.length - (n * 5) / 8); // same header, payload exactly n·b/8
    expect(s8.length - n).toBeLessThan(40);
    // Through the container: ≤ 8.05 bits per weight for a million-weight tensor at 8 bits.
    const enc = encodeContainer({ codebooks: [affine("c", 256)], tensors: [t] }, fixedCoder().create({}));
    expect((enc.size.totalBytes * 8) / n).toBeLessThanOrEqual(8.05);
    const back = decodeContainer(enc.bytes, () => fixedCoder().create({})).model.tensors[0]!.codes;
    // A plain loop: deep equality on a million-element array is slow in the test runner.
    let same = back.length === n;
    for (let i = 0; same && i < n; i++) same = back[i] === codes[i];
    expect(same).toBe(true);
  });

  it("codes sparse positions as gaps of the largest gap's width", () => {
    const positions = Uint32Array.from([0, 1, 2, 10, 11]); // gaps 0,0,0,7,0 → 3 bits each
    const t: QuantizedTensor = { ...dense([1, 2, 3, 0, 1], [12]), sparse: { positions } };
    const s = encodeFixed(t, affine("c", 4));
    const back = decodeFixed(s);
    expect(back.sparse?.positions).toEqual(positions);
    // Payload: 5 codes × 2 bits = 2 bytes, then 5 gaps × 3 bits = 2 bytes (vs none at gap width 0).
    const hdr = encodeFixed({ ...dense([1, 2, 3, 0, 1], [12]), sparse: { positions: Uint32Array.from([0, 1, 2, 3, 4]) } }, affine("c", 4));
    expect(s.length - hdr.length).toBe(2); // gap width 0 stores no gap bytes at all
  });

  it("rejects what it cannot store with InvalidQuantizedError", () => {
    expect(codeOf(() => encodeFixed(dense([0, 4]), affine("c", 4)))).toBe(ErrorCodes.INVALID_QUANTIZED);
    expect(codeOf(() => encodeFixed(dense([0, 1]), affine("other", 4)))).toBe(ErrorCodes.INVALID_QUANTIZED);
    expect(codeOf(() => encodeFixed(dense([0, 1], [3]), affine("c", 4)))).toBe(ErrorCodes.INVALID_QUANTIZED);
    const bad: QuantizedTensor = { ...dense([0, 1], [4]), sparse: { positions: Uint32Array.from([2, 2]) } };
    expect(codeOf(() => encodeFixed(bad, affine("c", 4)))).toBe(ErrorCodes.INVALID_QUANTIZED);
    const out: QuantizedTensor = { ...dense([0, 1], [4]), sparse: { positions: Uint32Array.from([1, 4]) } };
    expect(codeOf(() => encodeFixed(out, affine("c", 4)))).toBe(ErrorCodes.INVALID_QUANTIZED);
  });

  it("rejects structurally wrong streams even with a valid checksum", () => {
    const cases: [string, Uint8Array][] = [
      ["version 2", craft({ version: 2, payload: [0] })],
      ["unknown flag", craft({ flags: 2, payload: [0] })],
      ["code width 0", craft({ width: 0, payload: [] })],
      ["code width 33", craft({ width: 33, payload: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] })],
      ["count ≠ elements (dense)", craft({ count: 3, payload: [0] })],
      ["sparse count > elements", craft({ flags: 1, count: 5, gapWidth: 0, payload: [0, 0] })],
      ["payload too short", craft({ shape: [40], count: 40, payload: [0, 0] })],
      ["payload too long", craft({ payload: [0, 0] })],
      ["stray padding bits", craft({ shape: [3], count: 3, payload: [0b11000000] })],
      ["channel axis out of range", craft({ grouping: [1, 1], payload: [0] })],
      ["group size 0", craft({ grouping: [2, 0], payload: [0] })],
      ["unknown grouping", craft({ grouping: [3, 0], payload: [0] })],
      ["position past the end", craft({ flags: 1, shape: [4], count: 2, gapWidth: 2, payload: [0, 0b1111] })],
      ["gap width 33", craft({ flags: 1, shape: [4], count: 0, gapWidth: 33, payload: [] })],
      ["33 dimensions", craft({ shape: new Array(33).fill(1), count: 1, payload: [0] })],
      ["more than 2^32 elements", craft({ shape: [65536, 65536, 2], count: 1, payload: [0] })],
    ];
    for (const [what, s] of cases)
      expect(
        codeOf(() => decodeFixed(s)),
        what,
      ).toBe(ErrorCodes.DECODE);
  });

  it("never allocates for a huge claimed count (checked against the bytes first)", () => {
    const s = craft({ shape: [2 ** 31], count: 2 ** 31, payload: [1, 2, 3] });
    expect(codeOf(() => decodeFixed(s))).toBe(ErrorCodes.DECODE);
  });

  it("rejects non-byte input", () => {
    expect(codeOf(() => decodeFixed([1, 2, 3] as unknown as Uint8Array))).toBe(ErrorCodes.DECODE);
  });

  it("has a well-formed descriptor whose options reject non-objects", () => {
    const p = fixedCoder();
    expect(p).toMatchObject({ kind: "coder", id: "fixed" });
    expect(p.create(p.parseOptions({})).id).toBe("fixed");
    expect(codeOf(() => p.parseOptions(7))).toBe(ErrorCodes.INVALID_OPTIONS);
  });
});

describe("decodeFixedEncoded (the pipeline's round-trip fast path)", () => {
  test.prop([fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 0, maxLength: 300 }), fc.boolean()])("returns what decodeFixed returns for a stream encodeFixed just wrote", (bits, raw, sparse) => {
    const levels = 2 ** bits;
    // In the array the decoder allocates for this width (core's codeArray), so toEqual compares like with like.
    const codes = codeArray(raw.length, levels);
    raw.forEach((v, i) => (codes[i] = v % levels));
    const n = codes.length * 2 + 1;
    const t: QuantizedTensor = sparse
      ? { name: "s", shape: [n], codebook: "c", grouping: { kind: "tensor" }, codes, sparse: { positions: Uint32Array.from(codes, (_, i) => 2 * i + 1) } }
      : { name: "d", shape: [codes.length], codebook: "c", grouping: { kind: "tensor" }, codes };
    const bytes = encodeFixed(t, affine("c", levels));
    const fast = decodeFixedEncoded(bytes, t);
    expect(fast).toEqual(decodeFixed(bytes));
    expect(Array.from(fast.codes)).toEqual(Array.from(codes));
  });
  it("takes the known codes only when their count matches the stream", () => {
    const t = dense([1, 2, 3, 0]);
    const bytes = encodeFixed(t, affine("c", 4));
    expect(decodeFixedEncoded(bytes, t).codes).toBe(t.codes);
    const other = dense([1, 2]);
    expect(Array.from(decodeFixedEncoded(bytes, other).codes)).toEqual([1, 2, 3, 0]);
  });
});
