import fc from "fast-check";
import type { QuantizedTensor } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { BitOut } from "./bitio.js";
import { writeCodes } from "./body-writer-impl.js";
import { PAIR_MIN_VALUES, tupleTable } from "./pairs-impl.js";
import { decodeHuffmanStream, decodeHuffmanStreamEncoded, encodeHuffmanStream, renameHuffmanStream } from "./stream-impl.js";

/** The reference: every code written with `BitOut.write`, one after the other. */
function reference(prefix: readonly [number, number][], index: Uint32Array, lens: Uint8Array, codes: Uint32Array): Uint8Array {
  const out = new BitOut(16);
  for (const [v, n] of prefix) out.write(v, n);
  for (const s of index) out.write(codes[s]!, lens[s]!);
  return out.finish().slice();
}

/** A complete-enough prefix code: any lengths 1…maxLen and the low bits of arbitrary values as codes (writeCodes does not need a prefix code). */
const tableArb = (symbols: number, maxLen: number) =>
  fc.array(fc.tuple(fc.integer({ min: 1, max: maxLen }), fc.nat()), { minLength: symbols, maxLength: symbols }).map((t) => ({
    lens: Uint8Array.from(t.map(([l]) => l)),
    codes: Uint32Array.from(t.map(([l, v]) => v & ((1 << l) - 1))),
  }));

describe("writeCodes (32-bit word writer)", () => {
  it("writes the bits BitOut.write writes, after any prefix, with single, pair and triple steps (property)", () => {
    const shapes = [
      { symbols: 16, maxLen: 8 }, // triples
      { symbols: 40, maxLen: 12 }, // pairs
      { symbols: 16, maxLen: 24 }, // triples, those longer than 24 bits a symbol at a time
      { symbols: 200, maxLen: 24 }, // pairs, likewise
      { symbols: 300, maxLen: 24 }, // single codes, up to 24 bits
    ];
    for (const { symbols, maxLen } of shapes) {
      fc.assert(
        fc.property(
          tableArb(symbols, maxLen),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 24 })), { maxLength: 5 }),
          fc.array(fc.nat({ max: symbols - 1 }), { maxLength: 300 }),
          fc.boolean(),
          ({ lens, codes }, prefix, idx, long) => {
            // Long inputs take the tuple tables (from PAIR_MIN_VALUES codes on).
            const index = long ? Uint32Array.from({ length: PAIR_MIN_VALUES + idx.length }, (_, i) => (idx.length ? idx[i % idx.length]! : i % symbols)) : Uint32Array.from(idx);
            const out = new BitOut(16);
            for (const [v, n] of prefix) out.write(v, n);
            writeCodes(out, index, lens, codes, -1);
            expect(out.finish()).toEqual(reference(prefix, index, lens, codes));
          },
        ),
        { numRuns: 25 },
      );
    }
  });

  it("takes triples for ≤ 16 symbols, pairs for ≤ 256, else none; tuples longer than 24 bits have length 0", () => {
    expect(tupleTable(new Uint8Array(16).fill(8), new Uint32Array(16))?.k).toBe(3);
    expect(tupleTable(new Uint8Array(17).fill(4), new Uint32Array(17))?.k).toBe(2);
    expect(tupleTable(new Uint8Array(257).fill(9), new Uint32Array(257))).toBeUndefined();
    // Lengths 8, 9 and 13: a triple fits 24 bits only as 8+8+8; a pair only without 13.
    const lens = Uint8Array.of(8, 9, 13, ...new Array<number>(14).fill(8)),
      codes = Uint32Array.from(lens, (l, i) => i & ((1 << l) - 1));
    const triple = tupleTable(lens.subarray(0, 16), codes.subarray(0, 16))!;
    expect(triple.k).toBe(3);
    expect([triple.lens[0], triple.lens[(0 * 16 + 0) * 16 + 1], triple.lens[(2 * 16 + 0) * 16 + 0]]).toEqual([24, 0, 0]);
    expect(triple.codes[(3 * 16 + 4) * 16 + 5]).toBe((((3 << 8) | 4) << 8) | 5);
    const pair = tupleTable(lens, codes)!;
    expect(pair.k).toBe(2);
    expect([pair.lens[0 * 17 + 1], pair.lens[1 * 17 + 2], pair.lens[2 * 17 + 2]]).toEqual([17, 22, 0]);
  });
});

describe("renameHuffmanStream", () => {
  it("is the stream encodeHuffmanStream writes under the new name and codebook id (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 200 }), fc.string(), fc.string(), fc.option(fc.constant(true), { nil: undefined }), (codes, name, id, sparse) => {
        const c = Uint32Array.from(codes);
        const t: QuantizedTensor = sparse
          ? { name: "layers.0.weight", shape: [codes.length * 2 + 1], codebook: "cb", grouping: { kind: "tensor" }, codes: c, sparse: { positions: Uint32Array.from(codes, (_, i) => 2 * i + 1) } }
          : { name: "layers.0.weight", shape: [codes.length], codebook: "cb", grouping: { kind: "tensor" }, codes: c };
        const renamed = renameHuffmanStream(encodeHuffmanStream(t, 16, 20), name, id);
        expect(renamed).toEqual(encodeHuffmanStream({ ...t, name, codebook: id }, 16, 20));
      }),
    );
  });
});

describe("decodeHuffmanStreamEncoded without this thread's histogram", () => {
  it("returns the known codes for a stream coded elsewhere (another codes array, same values)", () => {
    const codes = Uint32Array.from({ length: 5000 }, (_, i) => (i * 7919) % 13);
    const t: QuantizedTensor = { name: "w", shape: [5000], codebook: "cb", grouping: { kind: "tensor" }, codes };
    const stream = encodeHuffmanStream(t, 16, 20);
    // A copy of the codes has no entry in the encoder's histogram cache (as on another thread).
    const copy = codes.slice();
    expect(decodeHuffmanStreamEncoded(stream, { ...t, codes: copy }).codes).toBe(copy);
    expect(decodeHuffmanStream(stream).codes).toEqual(copy);
  });
});
