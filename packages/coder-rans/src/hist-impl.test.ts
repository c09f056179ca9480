import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countCodes, histogram } from "./hist-impl.js";

/** The histogram by a plain map: distinct values ascending and their counts. */
function naive(values: ArrayLike<number>): { symbols: number[]; counts: number[] } {
  const m = new Map<number, number>();
  for (let i = 0; i < values.length; i++) m.set(values[i]!, (m.get(values[i]!) ?? 0) + 1);
  const symbols = [...m.keys()].sort((a, b) => a - b);
  return { symbols, counts: symbols.map((s) => m.get(s)!) };
}

const codesArb = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6000 }).map((a) => Uint8Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 70000 }), { maxLength: 3000 }).map((a) => Uint32Array.from(a)),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })), { maxLength: 300 }).map((a) => Uint32Array.from(a)),
  fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 5000 }).map((a) => Uint16Array.from(a)),
);

describe("histogram and countCodes (core's codeHistogram underneath)", () => {
  it("count exactly what a map counts, dense or sorted, with or without a bound", () => {
    fc.assert(
      fc.property(codesArb, fc.integer({ min: 1, max: 2 ** 20 }), (codes, k) => {
        const want = naive(codes);
        const plain = histogram(codes);
        expect([...plain.symbols]).toEqual(want.symbols);
        expect([...plain.counts]).toEqual(want.counts);
        const largest = want.symbols.length > 0 ? want.symbols[want.symbols.length - 1]! : -1;
        const bounded = histogram(codes, largest + 1 + (k % 7));
        expect([...bounded.symbols]).toEqual(want.symbols);
        const counted = countCodes(codes, k);
        if (largest >= k) expect(counted).toBeNull();
        else {
          expect([...counted!.symbols]).toEqual(want.symbols);
          expect([...counted!.counts]).toEqual(want.counts);
        }
      }),
      { numRuns: 150, seed: 20 },
    );
  });
});
