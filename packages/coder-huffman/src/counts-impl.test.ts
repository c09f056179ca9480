import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alphabetOf, huffmanCodeLengths } from "./huffman-impl.js";
import { knownAlphabetBits, knownSymbolBits } from "./symbol-tables-impl.js";
import { decodeHuffmanStream, encodeHuffmanStream } from "./stream-impl.js";

/** The distinct values of `v` ascending and their counts, by a Map (the reference). */
function reference(v: readonly number[]): { symbols: number[]; counts: number[] } {
  const m = new Map<number, number>();
  for (const x of v) m.set(x, (m.get(x) ?? 0) + 1);
  const symbols = [...m.keys()].sort((a, b) => a - b);
  return { symbols, counts: symbols.map((s) => m.get(s)!) };
}

const plain = (a: { symbols: Uint32Array; counts: Float64Array }) => ({ symbols: Array.from(a.symbols), counts: Array.from(a.counts) });

describe("alphabetOf (one-pass lane counting)", () => {
  it("counts across blocks that grow the histogram, past the lane cap and on the sorted path", () => {
    const grow: number[] = [];
    for (let i = 0; i < 65536; i++) grow.push(i % 5);
    grow.push(300, 4, 3, 2, 1, 511, 7);
    for (let i = 0; i < 999; i++) grow.push((i * 37) % 4000);
    expect(plain(alphabetOf(Uint32Array.from(grow)))).toEqual(reference(grow));
    const pastCap = [...grow, 70_000]; // ≥ 2^16: the max-pass path, still dense (≤ 4n + 1024)
    expect(plain(alphabetOf(Uint32Array.from(pastCap)))).toEqual(reference(pastCap));
    const sparse = [60_000, 3, 3]; // below 2^16 but above 4n + 1024: the sorted path
    expect(plain(alphabetOf(Uint32Array.from(sparse)))).toEqual(reference(sparse));
    expect(plain(alphabetOf(new Uint32Array(0)))).toEqual({ symbols: [], counts: [] });
  });

  it("matches a Map histogram on any values (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })), { maxLength: 400 }), (v) => {
        expect(plain(alphabetOf(Uint32Array.from(v)))).toEqual(reference(v));
      }),
    );
  });

  it("knownAlphabetBits gives knownSymbolBits from the histogram (also −1 for a value without a code)", () => {
    const symbols = Uint32Array.from([0, 2, 5, 9]),
      lengths = Uint8Array.from([1, 2, 3, 3]);
    for (const v of [
      [0, 0, 2, 5, 9, 9],
      [2, 5],
      [0, 3], // 3 has no code
      [0, 12], // past the table
    ]) {
      const known = Uint32Array.from(v);
      expect(knownAlphabetBits(symbols, lengths, false, alphabetOf(known))).toBe(knownSymbolBits(symbols, lengths, false, known));
    }
    expect(knownAlphabetBits(symbols, lengths, true, alphabetOf(Uint32Array.from([0])))).toBe(-1);
  });
});

describe("symbol-pair writing (≥ 64K codes, codes ≤ 12 bits)", () => {
  it("round-trips long streams of skewed codes, odd and even lengths, through the independent decoder", () => {
    for (const n of [65536, 65537, 200_001]) {
      const codes = new Uint32Array(n);
      let s = 12345;
      for (let i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        // Skewed over 16 symbols (the AND of two nibbles favours small codes), every code ≤ 12 bits.
        codes[i] = (s >>> 28) & (s >>> 24) & 15;
      }
      const a = alphabetOf(codes);
      expect(a.symbols.length).toBe(16);
      expect(Math.max(...huffmanCodeLengths(a.counts, 24))).toBeLessThanOrEqual(12);
      const t = { name: "", shape: [n], codebook: "", grouping: { kind: "tensor" as const }, codes };
      expect(decodeHuffmanStream(encodeHuffmanStream(t, 16, 24)).codes).toEqual(codes);
    }
  });
});
