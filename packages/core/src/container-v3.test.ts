import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "./bytes.js";
import type { Codebook } from "./codebook.js";
import { COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION, decodeContainer, encodeContainer } from "./container.js";
import { crc32 } from "./crc32.js";
import { DecodeError, InvalidQuantizedError } from "./errors.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { readStringTable, tokenize, writeStringTable } from "./string-table.js";
import { groupedRawTestCoder, rawTestCoder } from "./testing/fixtures.js";

const raw = rawTestCoder().create({});
const grouped = groupedRawTestCoder();
const cb: Codebook = { kind: "levels", id: "k16", levels: Float32Array.from([-1, 0, 0.5, 2]) };
const cb2: Codebook = { kind: "levels", id: "other", levels: Float32Array.from([-3, 3]) };
const prefix = "StatefulPartitionedCall/model/conv2d_";
function graphModel(n: number): { qm: QuantizedModel; order: string[] } {
  const tensors: QuantizedTensor[] = [],
    passthrough = [],
    order: string[] = [];
  for (let i = 0; i < n; i++) {
    const layer = `${prefix}${i}`;
    const c = i % 3 === 2 ? cb2 : cb;
    tensors.push({
      name: `${layer}/Conv2D_weights`,
      shape: [3, 3, 2, 2],
      layer,
      layerKind: "conv2d",
      role: "weight",
      codebook: c.id,
      grouping: { kind: "tensor" },
      codes: Uint32Array.from({ length: 36 }, (_, k) => (k * 7 + i) % (c === cb ? 4 : 2)),
    });
    tensors.push({ name: `${layer}/bias`, shape: [2], layer, role: "bias", codebook: cb.id, grouping: { kind: "tensor" }, codes: Uint32Array.from([i % 4, 1]) });
    passthrough.push({ name: `${layer}/Conv2D_bn_offset`, shape: [2], layer, role: "bias" as const, data: Float32Array.from([i, -i]) });
    order.push(`${layer}/Conv2D_weights`, `${layer}/bias`, `${layer}/Conv2D_bn_offset`);
  }
  return { qm: { codebooks: [cb, cb2], tensors, passthrough }, order };
}
const fixCrc = (b: Uint8Array): Uint8Array => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
};

describe("grouped .qf container (version 3)", () => {
  const { qm, order } = graphModel(40);
  const meta = { quantizer: "hessian-ecsq", seed: 0, tensorOrder: order };
  const v3 = encodeContainer(qm, grouped, meta);
  const v2 = encodeContainer(qm, grouped, meta, { version: 2 });

  it("is the default for group coders, round-trips the model, layers and a permuted tensorOrder", () => {
    expect(v3.bytes[4]).toBe(GROUPED_CONTAINER_VERSION);
    expect(encodeContainer(qm, raw, meta).bytes[4]).toBe(COMPACT_CONTAINER_VERSION);
    const back = decodeContainer(v3.bytes, () => grouped);
    expect(back.metadata).toEqual(meta);
    expect(back.model.tensors).toEqual(qm.tensors);
    expect(back.model.passthrough).toEqual(qm.passthrough);
    expect(back.model.codebooks).toEqual(qm.codebooks);
    expect(decodeContainer(v2.bytes, () => grouped).model).toEqual(back.model);
  });

  it("stores an identity tensorOrder and no tensorOrder exactly", () => {
    const identity = [...qm.tensors, ...qm.passthrough!].map((t) => t.name);
    for (const m of [{ tensorOrder: identity }, { quantizer: "x" }]) expect(decodeContainer(encodeContainer(qm, grouped, m).bytes, () => grouped).metadata).toEqual(m);
  });

  it("spends fewer header bytes than version 2, and its sizes add up", () => {
    for (const e of [v2, v3]) {
      const s = e.size,
        streams = s.tensors.reduce((a, t) => a + t.streamBytes, 0);
      expect(Math.abs(s.headerBytes + s.codebookBytes + streams + s.passthroughBytes - s.totalBytes)).toBeLessThan(1e-6);
    }
    expect(v3.size.headerBytes).toBeLessThan(0.7 * v2.size.headerBytes);
    // Byte counts are whole bytes even where group shares are fractional.
    for (const e of [v2, v3]) expect(Number.isInteger(e.size.headerBytes)).toBe(true);
  });

  it("needs group coding on both sides", () => {
    expect(() => encodeContainer(qm, raw, meta, { version: 3 })).toThrow(InvalidQuantizedError);
    expect(() => decodeContainer(v3.bytes, () => raw)).toThrow(DecodeError);
  });

  it("turns every single-byte change (checksum fixed up) into a DecodeError or a well-formed model", () => {
    const small = encodeContainer(graphModel(3).qm, grouped, { tensorOrder: graphModel(3).order }).bytes;
    for (let i = 8; i < small.length - 4; i++) {
      for (const delta of [1, 0x40, 0x80]) {
        const b = small.slice();
        b[i] = (b[i]! + delta) & 0xff;
        try {
          decodeContainer(fixCrc(b), () => grouped);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }
    }
  });
});

describe("container string table", () => {
  const table = (strings: string[]) => {
    const w = new ByteWriter();
    writeStringTable(w, strings);
    return w.finish();
  };

  it("round-trips any sorted distinct strings (names with numbers, separators, unicode)", () => {
    const piece = fc.oneof(fc.constantFrom("/", "_", ".", ":", "conv2d", "BiasAdd", "0", "007", "12", "999999999999", "1234567890123"), fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 1e6 }).map(String));
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 8 }).map((p) => p.join("")),
          { maxLength: 40 },
        ),
        (list) => {
          const strings = [...new Set(list)].sort();
          for (const s of strings) expect(tokenize(s).join("")).toBe(s);
          expect(readStringTable(new ByteReader(table(strings)))).toEqual(strings);
        },
      ),
    );
  });

  it("token-codes model-like names in a few bytes each (front coding leaves ≥ 9-byte suffixes here)", () => {
    const names = Array.from({ length: 200 }, (_, i) => `StatefulPartitionedCall/functional_1/${i % 2 ? "depthwise_conv2d" : "conv2d"}_${i}/${i % 3 ? "BiasAdd" : "Relu6"}`).sort();
    const b = table(names);
    expect(b[0]).toBe(1);
    expect(b.length).toBeLessThan(6 * names.length);
  });

  it("refuses token references past the table and tables that expand without bound", () => {
    // layout 1, empty token table, one string of one token 2·5 (index 5 of 0 tokens).
    expect(() => readStringTable(new ByteReader(Uint8Array.from([1, 0, 1, 0, 1, 10])))).toThrow(DecodeError);
    // One 1,000-char token repeated by 200,000 strings that share it with their predecessor.
    const w = new ByteWriter();
    w.u8(1).varint(1).varint(0).varint(1000).bytes(new Uint8Array(1000).fill(97)).varint(200_000).varint(0).varint(1).varint(0);
    for (let i = 1; i < 200_000; i++) w.varint(1).varint(0);
    expect(() => readStringTable(new ByteReader(w.finish()))).toThrow(/expands past/);
  });
});
