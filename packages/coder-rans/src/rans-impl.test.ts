import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_SCALE_BITS, RANS_L, normalizeFrequencies } from "./rans-impl.js";
import { buildDecodeTable, ransDecode } from "./decode-impl.js";
import { ransEncode } from "./encode-impl.js";

/** Encodes `ranks` with frequencies normalised from their own histogram and decodes them again. */
function roundTrip(ranks: Uint32Array, k: number, scaleBits: number, lanes: number): { payload: Uint8Array; back: Uint32Array; ok: boolean } {
  const counts = new Float64Array(k).fill(0);
  for (const r of ranks) counts[r]!++;
  for (let i = 0; i < k; i++) if (counts[i] === 0) counts[i] = 1; // every rank needs a frequency
  const freq = normalizeFrequencies(counts, scaleBits);
  const start = new Uint32Array(k);
  for (let i = 1; i < k; i++) start[i] = start[i - 1]! + freq[i - 1]!;
  const payload = ransEncode(ranks, freq, start, scaleBits, lanes);
  const values = Uint32Array.from({ length: k }, (_, i) => i);
  const back = new Uint32Array(ranks.length);
  const ok = ransDecode(payload, 0, payload.length, buildDecodeTable(values, freq, scaleBits), lanes, back);
  return { payload, back, ok };
}

describe("normalizeFrequencies", () => {
  it("sums to 2^scale with every frequency ≥ 1 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: MAX_SCALE_BITS }), (counts, s) => {
        fc.pre(counts.length <= 2 ** s);
        const f = normalizeFrequencies(counts, s);
        expect(f.reduce((a, b) => a + b, 0)).toBe(2 ** s);
        for (const v of f) expect(v).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
  it("is the proportional split when it is exact", () => {
    expect([...normalizeFrequencies([1, 3], 2)]).toEqual([1, 3]);
    expect([...normalizeFrequencies([5, 5, 10], 4)]).toEqual([4, 4, 8]);
  });
  it("never beats a brute-force optimum and matches it on small cases", () => {
    // All compositions of 2^s into 3 positive parts: the greedy result must cost the minimum.
    const cost = (c: number[], f: number[]) => c.reduce((a, ci, i) => a - ci * Math.log2(f[i]!), 0);
    for (const c of [
      [1, 1, 100],
      [7, 3, 1],
      [50, 49, 1],
      [1, 1, 1],
    ]) {
      const s = 4,
        M = 16;
      let best = Infinity;
      for (let a = 1; a < M; a++) for (let b = 1; a + b < M; b++) best = Math.min(best, cost(c, [a, b, M - a - b]));
      expect(cost(c, [...normalizeFrequencies(c, s)])).toBeCloseTo(best, 9);
    }
  });
});

describe("rANS core", () => {
  it("round-trips any symbols at any precision and lane count (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (k, n, lanes, seed) => {
        const s = Math.max(Math.ceil(Math.log2(k)), 1 + (Math.abs(seed) % MAX_SCALE_BITS));
        fc.pre(s <= MAX_SCALE_BITS);
        let x = seed >>> 0;
        const ranks = new Uint32Array(n);
        // Skewed symbols: mostly 0, sometimes anything.
        for (let i = 0; i < n; i++) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          ranks[i] = x % 7 === 0 ? x % k : 0;
        }
        const { back, ok } = roundTrip(ranks, k, s, lanes);
        expect(ok).toBe(true);
        expect([...back]).toEqual([...ranks]);
      }),
      { numRuns: 200 },
    );
  });
  it("rejects a payload with a bad state, extra bytes or missing bytes", () => {
    const ranks = Uint32Array.from({ length: 500 }, (_, i) => (i * 7) % 5);
    const { payload } = roundTrip(ranks, 5, 8, 2);
    const freq = normalizeFrequencies([100, 100, 100, 100, 100], 8);
    const t = buildDecodeTable(Uint32Array.from([0, 1, 2, 3, 4]), freq, 8);
    const out = new Uint32Array(500);
    expect(ransDecode(payload, 0, payload.length - 1, t, 2, out)).toBe(false);
    const longer = new Uint8Array(payload.length + 1);
    longer.set(payload);
    expect(ransDecode(longer, 0, longer.length, t, 2, out)).toBe(false);
    const low = payload.slice();
    low[0] = 0;
    low[1] = 0;
    low[2] = 0; // state below RANS_L
    expect(ransDecode(low, 0, low.length, t, 2, out)).toBe(false);
    const high = payload.slice();
    high[0] = 0x80; // state ≥ 2^31
    expect(ransDecode(high, 0, high.length, t, 2, out)).toBe(false);
    expect(RANS_L).toBe(2 ** 15);
  });
});
