import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Codebook } from "./codebook.js";
import { decodeContainer, encodeContainer } from "./container.js";
import { HEADS_FLAG } from "./coded-heads.js";
import { crc32 } from "./crc32.js";
import { DecodeError } from "./errors.js";
import { headsCharCap, readHeads, writeHeads, type HeadEntry } from "./heads-table.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { groupedRawTestCoder, rawTestCoder } from "./testing/fixtures.js";

const grouped = groupedRawTestCoder();
const raw = rawTestCoder().create({});
const cb: Codebook = { kind: "levels", id: "k16", levels: Float32Array.from([-1, 0, 0.5, 2]) };
const cb2: Codebook = { kind: "levels", id: "other", levels: Float32Array.from([-3, 3]) };

/** The graph model of container-v3.test.ts: conv weights, biases and passthrough offsets over two codebooks. */
function graphModel(n: number, prefix = "StatefulPartitionedCall/model/conv2d_"): { qm: QuantizedModel; order: string[] } {
  const tensors: QuantizedTensor[] = [],
    passthrough = [],
    order: string[] = [];
  for (let i = 0; i < n; i++) {
    const layer = `${prefix}${i}`;
    const c = i % 3 === 2 ? cb2 : cb;
    const codes = Uint32Array.from({ length: 36 }, (_, k) => (k * 7 + i) % (c === cb ? 4 : 2));
    tensors.push({ name: `${layer}/Conv2D_weights`, shape: [3, 3, 2, 2], layer, layerKind: "conv2d", role: "weight", codebook: c.id, grouping: { kind: "tensor" }, codes });
    tensors.push({ name: `${layer}/bias`, shape: [2], layer, role: "bias", codebook: cb.id, grouping: { kind: "tensor" }, codes: Uint32Array.from([i % 4, 1]) });
    passthrough.push({ name: `${layer}/Conv2D_bn_offset`, shape: [2], layer, role: "bias" as const, data: Float32Array.from([i, -i]) });
    order.push(`${layer}/Conv2D_weights`, `${layer}/bias`, `${layer}/Conv2D_bn_offset`);
  }
  return { qm: { codebooks: [cb, cb2], tensors, passthrough }, order };
}

/**
 * `encodeContainer(graphModel(3).qm, groupedRawTestCoder(), { quantizer: "x", tensorOrder })` as
 * written by main at bd511ef (header flags 1: string table and plain heads).
 */
const MAIN_V3 =
  "UUZSRwMAAQAIcmF3LXRlc3QReyJxdWFudGl6ZXIiOiJ4In0BCAAHQ29udjJEXwAYU3RhdGVmdWxQYXJ0aXRpb25lZENhbGwvAARiaWFzAQJuXwAHY29udjJkXwAGbW9kZWwvAAZvZmZzZXQAB3dlaWdodHMJAAcCCggDAAYMBQEOBAEEAwQNAAYMBQEOBAEEAwQXAAYMBQEOBAEEAAIAAANrMTYEAACAvwAAAAAAAAA/AAAAQAAABW90aGVyAgAAQMAAAEBABgkCAQACAQIACQIEAAIBBQAJAgcBAgEIAJoDpAEhUUZSAQAABAMDAgIAAAAkAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAg8ldVxkhUUZSAQAAAQIAAAACAAAAAAEAAADlI95UpAEhUUZSAQAABAMDAgIAAAAkAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAHP6/jRkhUUZSAQAAAQIAAAACAQAAAAEAAAB7I3SYGSFRRlIBAAABAgAAAAICAAAAAQAAAJgk+xamAaQBIVFGUgEAAAQDAwICAAAAJAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAO5qoLIDAAIBAQIAAAAAAAAAgAMCAQECAACAPwAAgL8GAgEBAgAAAEAAAADAA9sA5XWr3g==";

/** The same model with `rawTestCoder` in version 2, as written by main at bd511ef (flags 1). */
const MAIN_V2 =
  "UUZSRwIAAQAIcmF3LXRlc3QReyJxdWFudGl6ZXIiOiJ4In0JADdTdGF0ZWZ1bFBhcnRpdGlvbmVkQ2FsbC9tb2RlbC9jb252MmRfMC9Db252MkRfYm5fb2Zmc2V0Lgd3ZWlnaHRzJwRiaWFzJRIxL0NvbnYyRF9ibl9vZmZzZXQuB3dlaWdodHMnBGJpYXMlEjIvQ29udjJEX2JuX29mZnNldC4Hd2VpZ2h0cycEYmlhcwACAAADazE2BAAAgL8AAAAAAAAAPwAAAEAAAAVvdGhlcgIAAEDAAABAQAYJAQEApAEhUUZSAQAABAMDAgIAAAAkAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAg8ldVwICAQAZIVFGUgEAAAECAAAAAgAAAAABAAAA5SPeVAkEAQCkASFRRlIBAAAEAwMCAgAAACQBAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAABAAAAAAAAAAMAAAACAAAAAQAAAAAAAAADAAAAAgAAAAEAAAAAAAAAAwAAAAIAAAAc/r+NAgUBABkhUUZSAQAAAQIAAAACAQAAAAEAAAB7I3SYCQcBAaQBIVFGUgEAAAQDAwICAAAAJAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAQAAAO5qoLICCAEAGSFRRlIBAAABAgAAAAICAAAAAQAAAJgk+xYDAAIBAQIAAAAAAAAAgAMCAQECAACAPwAAgL8GAgEBAgAAAEAAAADAA9sAkE+5Mg==";

const fixCrc = (b: Uint8Array): Uint8Array => {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
};

describe("range-coded tensor heads (header flag 2 of versions 2 and 3)", () => {
  const { qm, order } = graphModel(3);
  const meta = { quantizer: "x", tensorOrder: order };

  it("still reads version-3 files of the main build (flag 1 only), and writes the same model smaller with flag 2", () => {
    const old = Uint8Array.from(Buffer.from(MAIN_V3, "base64"));
    expect(old[6]).toBe(1);
    const back = decodeContainer(old, () => grouped);
    expect(back.model).toEqual(qm);
    expect(back.metadata).toEqual(meta);
    const now = encodeContainer(qm, grouped, meta).bytes;
    expect(now[6]).toBe(1 | HEADS_FLAG);
    expect(now.length).toBeLessThan(old.length);
    const again = decodeContainer(now, () => grouped);
    expect(again.model).toEqual(qm);
    expect(again.metadata).toEqual(meta);
  });

  it("still reads version-2 files of the main build (flag 1 only), and writes the same model smaller with flag 2", () => {
    const old = Uint8Array.from(Buffer.from(MAIN_V2, "base64"));
    expect([old[4], old[6]]).toEqual([2, 1]);
    const back = decodeContainer(old, () => raw);
    expect(back.model).toEqual(qm);
    expect(back.metadata).toEqual(meta);
    const now = encodeContainer(qm, raw, meta).bytes;
    expect([now[4], now[6]]).toEqual([2, 1 | HEADS_FLAG]);
    expect(now.length).toBeLessThan(old.length);
    const again = decodeContainer(now, () => raw);
    expect(again.model).toEqual(qm);
    expect(again.metadata).toEqual(meta);
  });

  it("round-trips any names, layers, tags and codebook indices", () => {
    const piece = fc.oneof(fc.constantFrom("/", "_", ".", ":", "conv2d_", "BiasAdd", "kernel", "0", "007", "12/", "999999999999", "1234567890123"), fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 1e6 }).map(String));
    const name = fc.array(piece, { maxLength: 8 }).map((p) => p.join(""));
    const entry = fc.record({ tags: fc.integer({ min: 0, max: 15 }), name, layer: fc.option(name, { nil: undefined }), ci: fc.integer({ min: 0, max: 300 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.array(entry, { maxLength: 5 }), (ts, ps) => {
        const clean = (e: HeadEntry, tensor: boolean): HeadEntry => ({ tags: e.tags, name: e.name, ...(e.layer ? { layer: e.layer } : {}), ...(tensor ? { ci: e.ci } : {}) });
        const w = writeHeads(ts, ps);
        const r = readHeads(w.bytes, 0, w.bytes.length, ts.length, ps.length);
        expect(r.tensors).toEqual(ts.map((e) => clean(e, true)));
        expect(r.passthrough).toEqual(ps.map((e) => clean(e, false)));
        expect(r.strings).toEqual(w.strings);
      }),
    );
  });

  it("keeps the string table when it is smaller (no tensors) or when the heads would expand past their cap", () => {
    // 3,000 names of 500 characters that differ in their last digits: a few bytes of heads each.
    const long = "a/".repeat(250);
    const bomb: QuantizedModel = {
      codebooks: [cb],
      tensors: Array.from({ length: 3000 }, (_, i) => ({ name: `${long}${i}`, shape: [1], codebook: cb.id, grouping: { kind: "tensor" as const }, codes: Uint32Array.from([i % 4]) })),
    };
    for (const m of [bomb, { codebooks: [cb], tensors: [] }]) {
      for (const coder of [grouped, raw]) {
        const b = encodeContainer(m, coder).bytes;
        expect(b[6]! & HEADS_FLAG).toBe(0);
        expect(decodeContainer(b, () => coder).model).toEqual({ passthrough: [], ...m });
      }
    }
  });

  it("turns every single-byte change of the heads (checksum fixed up) into a DecodeError or a well-formed model", () => {
    for (const coder of [grouped, raw]) {
      const b0 = encodeContainer(qm, coder, meta).bytes;
      expect(b0[6]! & HEADS_FLAG).toBe(HEADS_FLAG);
      // The heads follow the coder id and the metadata JSON: change them and the first codebook bytes.
      const start = 8 + 1 + "raw-test".length + 1 + JSON.stringify({ quantizer: "x" }).length;
      for (let i = start; i < Math.min(b0.length - 4, start + 160); i++) {
        for (const delta of [1, 0x10, 0x80]) {
          const b = b0.slice();
          b[i] = (b[i]! + delta) & 0xff;
          try {
            decodeContainer(fixCrc(b), () => coder);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }
    }
  });

  it("refuses random, truncated and over-long head streams with a DecodeError and no large allocation", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 50 }), (bytes, nT, nP) => {
        try {
          const r = readHeads(bytes, 0, bytes.length, nT, nP);
          expect(r.tensors.length).toBe(nT);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
    const w = writeHeads(
      graphModel(20).qm.tensors.map((t) => ({ tags: 0, name: t.name, ci: 0 })),
      [],
    );
    expect(() => readHeads(w.bytes, 0, w.bytes.length - 1, 40, 0)).toThrow(DecodeError);
    expect(() => readHeads(Uint8Array.from([...w.bytes, 0]), 0, w.bytes.length + 1, 40, 0)).toThrow(/unread/);
    // 3,000 names of 500 characters: 1.5M characters from a stream of a few kilobytes.
    const long = "a/".repeat(250);
    const bomb = writeHeads(
      Array.from({ length: 3000 }, (_, i) => ({ tags: 0, name: `${long}${i}`, ci: 0 })),
      [],
    );
    expect(bomb.chars).toBeGreaterThan(headsCharCap(bomb.bytes.length));
    expect(() => readHeads(bomb.bytes, 0, bomb.bytes.length, 3000, 0)).toThrow(/expand past/);
  });
});
