import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { CODEBOOK_TABLE_FLAG, readCodebookTable, writeCodebookTable } from "./codebook-table.js";
import { decodeContainer, encodeContainer } from "./container.js";
import { crc32 } from "./crc32.js";
import { DecodeError } from "./errors.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { groupedRawTestCoder, rawTestCoder } from "./testing/fixtures.js";

const raw = rawTestCoder().create({});
const grouped = groupedRawTestCoder();

const nf = Float32Array.from([-1, -0.5, -0.125, 0, 0.25, 0.5, 0.75, 1]);
const other = Float32Array.from([-2, 2]);
function model(): QuantizedModel {
  const codebooks: Codebook[] = [];
  const tensors: QuantizedTensor[] = [];
  for (let i = 0; i < 5; i++) {
    const levels = i === 3 ? other : nf;
    const name = `block_${i}/dense/kernel`;
    codebooks.push({ kind: "scaledLevels", id: name, levels, scale: Float32Array.from([0.5 + i, 1 + i, 2]) });
    tensors.push({ name, shape: [2, 6], layer: `block_${i}/dense`, layerKind: "dense", role: "weight", codebook: name, grouping: { kind: "group", size: 4 }, codes: Uint32Array.from({ length: 12 }, (_, k) => (k * 3 + i) % levels.length) });
  }
  // An affine codebook with an id that is no tensor name, and a layer that is not the name's parent.
  codebooks.push({ kind: "affine", id: "shared-grid", levels: 4, scale: Float32Array.of(0.25), zeroPoint: Float32Array.of(2) });
  tensors.push({ name: "head", shape: [3], layer: "classifier", role: "weight", codebook: "shared-grid", grouping: { kind: "tensor" }, codes: Uint32Array.of(0, 3, 1) });
  const passthrough = tensors.slice(0, 5).map((t, i) => ({ name: `block_${i}/dense/bias`, shape: [2], layer: t.layer!, role: "bias" as const, data: Float32Array.of(i, -i) }));
  return { codebooks, tensors, passthrough };
}
/** The input order: each bias right after its weight (an interleaving of tensors and passthrough). */
const inputOrder = (qm: QuantizedModel): string[] => [...qm.tensors.slice(0, 5).flatMap((t, i) => [t.name, qm.passthrough![i]!.name]), "head"];
const fixCrc = (b: Uint8Array): Uint8Array => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
};
function occurrences(hay: Uint8Array, needle: Uint8Array): number {
  let n = 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    n++;
  }
  return n;
}

describe("shared codebook table (header flag 1 of versions 2 and 3)", () => {
  for (const [version, coder] of [
    [2, raw],
    [3, grouped],
  ] as const) {
    it(`version ${version}: round-trips codebooks, layers and tensorOrder, storing each level list once`, () => {
      const qm = model();
      const meta = { quantizer: "test", tensorOrder: inputOrder(qm) };
      const enc = encodeContainer(qm, coder, meta, { version });
      expect(enc.bytes[6]! & CODEBOOK_TABLE_FLAG).toBe(CODEBOOK_TABLE_FLAG);
      const back = decodeContainer(enc.bytes, () => coder);
      expect(back.model.codebooks).toEqual(qm.codebooks);
      expect(back.model.tensors.map((t) => [t.name, t.layer, t.codebook])).toEqual(qm.tensors.map((t) => [t.name, t.layer, t.codebook]));
      expect(back.model.passthrough).toEqual(qm.passthrough);
      expect(back.metadata).toEqual(meta);
      // Four codebooks use `nf`: its 32 bytes are in the file once.
      expect(occurrences(enc.bytes, new Uint8Array(nf.buffer))).toBe(1);
      expect(occurrences(enc.bytes, new Uint8Array(other.buffer))).toBe(1);
      const s = enc.size;
      expect(s.headerBytes + s.codebookBytes + s.passthroughBytes + s.tensors.reduce((a, t) => a + t.streamBytes, 0)).toBe(s.totalBytes);
      expect(s.tensors.reduce((a, t) => a + t.bytes - t.streamBytes, 0)).toBeCloseTo(s.codebookBytes, 9);
    });
  }

  it("decodes level lists into independent arrays", () => {
    const back = decodeContainer(encodeContainer(model(), raw).bytes, () => raw).model.codebooks;
    const a = back[0] as Extract<Codebook, { kind: "scaledLevels" }>,
      b = back[1] as Extract<Codebook, { kind: "scaledLevels" }>;
    expect(a.levels).toEqual(b.levels);
    expect(a.levels).not.toBe(b.levels);
  });

  it("rejects level-list and id references out of range, bad level lists and truncation", () => {
    const cbs = model().codebooks;
    const strings = new Map([["block_0/dense/kernel", 0]]);
    const w = new ByteWriter(256);
    writeCodebookTable(w, cbs, strings);
    const good = w.finish();
    expect(readCodebookTable(new ByteReader(good), ["block_0/dense/kernel"])).toEqual(cbs);
    // Layout: varint 2 lists | 8 | 32 bytes | 2 | 8 bytes | varint 6 codebooks | record 0: kind 6 | id ref 1 | list index 0 …
    const rec0 = 1 + 1 + 32 + 1 + 8 + 1;
    expect(good[rec0]).toBe(6);
    const badList = good.slice();
    badList[rec0 + 2] = 2;
    expect(() => readCodebookTable(new ByteReader(badList), ["block_0/dense/kernel"])).toThrow(/refers to level list 2 of 2/);
    const badId = good.slice();
    badId[rec0 + 1] = 5;
    expect(() => readCodebookTable(new ByteReader(badId), ["block_0/dense/kernel"])).toThrow(/refers to string 4 of 1/);
    const manyLists = good.slice();
    manyLists[0] = 0x7f;
    expect(() => readCodebookTable(new ByteReader(manyLists), [])).toThrow(DecodeError);
    const emptyList = good.slice();
    emptyList[1] = 0;
    expect(() => readCodebookTable(new ByteReader(emptyList), [])).toThrow(/declares 0 levels/);
    const nan = good.slice();
    new DataView(nan.buffer).setFloat32(2, NaN, true);
    expect(() => readCodebookTable(new ByteReader(nan), ["block_0/dense/kernel"])).toThrow(DecodeError);
    for (let k = 0; k < good.length; k++) expect(() => readCodebookTable(new ByteReader(good.subarray(0, k)), ["block_0/dense/kernel"])).toThrow(DecodeError);
  });

  it("rejects a corrupted reference inside a container (checksum fixed up) with a DecodeError", () => {
    for (const [version, coder] of [
      [2, raw],
      [3, grouped],
    ] as const) {
      const bytes = encodeContainer(model(), coder, {}, { version }).bytes;
      // The table starts with its two level lists: varint 2 | varint 8 | the 8 levels of `nf`.
      const head = new Uint8Array([2, 8, ...new Uint8Array(nf.buffer)]);
      const at = bytes.findIndex((_, i) => head.every((v, k) => bytes[i + k] === v));
      expect(at).toBeGreaterThan(0);
      const rec0 = at + 1 + 1 + 32 + 1 + 8 + 1;
      expect(bytes[rec0]).toBe(6);
      const badList = bytes.slice();
      badList[rec0 + 2] = 9;
      expect(() => decodeContainer(fixCrc(badList), () => coder)).toThrow(/refers to level list 9 of 2/);
      const badId = bytes.slice();
      badId[rec0 + 1] = 0x7f;
      expect(() => decodeContainer(fixCrc(badId), () => coder)).toThrow(expect.objectContaining({ code: "QF_DECODE", message: expect.stringMatching(/refers to string 126 of/) }));
    }
  });

  it("rejects unknown header flags", () => {
    const b = encodeContainer(model(), raw).bytes.slice();
    b[6] = 5;
    expect(() => decodeContainer(fixCrc(b), () => raw)).toThrow(/reserved header flags 0x4/);
    const v1 = encodeContainer(model(), raw, {}, { version: 1 }).bytes.slice();
    v1[6] = 1;
    expect(() => decodeContainer(fixCrc(v1), () => raw)).toThrow(/reserved header flags 0x1/);
  });

  it("still reads files written before the flag (versions 2 and 3, flags 0)", () => {
    // Written by the previous release (commit 6ee12ed) from the same two-codebook model.
    const files = {
      2: "UUZSRwIAAAAIcmF3LXRlc3QTeyJxdWFudGl6ZXIiOiJuZjQifQUAAmwxAgIvYgMBdwEBMgICL3cCHQUEbDEvdwQAAIC/AACAvgAAAD8AAIA/AgAAOABAGwUEbDIvdwQAAIC/AACAvgAAAD8AAIA/AQAAPgIFAgEAKiFRRlIBAAACAgMCAwAGAAAAAAEAAAACAAAAAwAAAAIAAAABAAAAXotBUQUEBAEdIVFGUgEAAAEDAAAAAwMAAAAAAAAAAQAAAB5M69ABAQIBAQIAAIA+AACAvwMAAgG9t/ca",
      3: "UUZSRwMAAAAIcmF3LXRlc3QTeyJxdWFudGl6ZXIiOiJuZjQifQAFAAJsMQICL2IDAXcBATICAi93Ah0FBGwxL3cEAACAvwAAgL4AAAA/AACAPwIAADgAQBsFBGwyL3cEAACAvwAAgL4AAAA/AACAPwEAAD4CBQICAAUFBAErKiFRRlIBAAACAgMCAwAGAAAAAAEAAAACAAAAAwAAAAIAAAABAAAAXotBUR4dIVFGUgEAAAEDAAAAAwMAAAAAAAAAAQAAAB5M69ABAQIBAQIAAIA+AACAvwIAAgHOmW+K",
    } as const;
    for (const [v, b64] of Object.entries(files)) {
      const bytes = Uint8Array.from(Buffer.from(b64, "base64"));
      expect(bytes[4]).toBe(Number(v));
      expect(bytes[6]).toBe(0);
      const back = decodeContainer(bytes, () => grouped);
      const levels = Float32Array.from([-1, -0.25, 0.5, 1]);
      expect(back.model.codebooks).toEqual([
        { kind: "scaledLevels", id: "l1/w", levels, scale: Float32Array.from([0.5, 2]) },
        { kind: "scaledLevels", id: "l2/w", levels, scale: Float32Array.from([1.5]) },
      ]);
      expect(back.model.tensors.map((t) => [t.name, t.layer, [...t.codes]])).toEqual([
        ["l1/w", "l1", [0, 1, 2, 3, 2, 1]],
        ["l2/w", "l2", [3, 0, 1]],
      ]);
      expect(back.model.passthrough).toEqual([{ name: "l1/b", shape: [2], layer: "l1", role: "bias", data: Float32Array.from([0.25, -1]) }]);
      expect(back.metadata).toEqual({ quantizer: "nf4", tensorOrder: ["l1/w", "l1/b", "l2/w"] });
    }
  });
});
