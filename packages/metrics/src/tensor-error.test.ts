import { test as fcTest, fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { accumulateStats, accumulateStatsCoded, accumulateStatsRange, emptyStats, endStats, meanSquaredError, sqnrDb, sqnrOfSumsDb, startStats, tensorSqnrDb } from "./tensor-error.js";

const f32 = (xs: number[]) => Float32Array.from(xs);

describe("tensor error statistics", () => {
  it("gives the textbook SQNR and MSE", () => {
    const s = accumulateStats(emptyStats(), f32([1, -2, 3]), f32([1.5, -2, 2]));
    expect(meanSquaredError(s)).toBeCloseTo((0.25 + 1) / 3, 12);
    expect(sqnrDb(s).value).toBeCloseTo(10 * Math.log10(14 / 1.25), 12);
    expect(tensorSqnrDb(f32([1, -2, 3]), f32([1.5, -2, 2])).value).toBe(sqnrDb(s).value);
    expect(sqnrOfSumsDb(s.signal, s.noise)).toBe(sqnrDb(s).value);
  });
  it("never returns ±Infinity: exact, empty and zero-signal cases carry reasons", () => {
    expect(sqnrDb(emptyStats())).toEqual({ value: null, reason: "empty tensor" });
    expect(sqnrDb(accumulateStats(emptyStats(), f32([1]), f32([1])))).toEqual({ value: null, reason: "exact reconstruction", exact: true });
    expect(tensorSqnrDb(f32([1]), f32([1]))).toEqual({ value: null, reason: "exact reconstruction" });
    expect(tensorSqnrDb(f32([0, 0]), f32([0, 1]))).toEqual({ value: null, reason: "zero signal power" });
    expect(sqnrOfSumsDb(0, 1)).toBeNull();
    expect(sqnrOfSumsDb(1, 0)).toBeNull();
    expect(meanSquaredError(emptyStats())).toBeNull();
  });
  // Multiples of 1/64 (exact in float32, and so are their halves: no subnormal rounding).
  fcTest.prop([
    fc.array(
      fc.integer({ min: -64_000, max: 64_000 }).map((v) => v / 64),
      { minLength: 1, maxLength: 64 },
    ),
  ])("the SQNR of ŵ = w/2 is 10·log10(4) whenever w ≠ 0", (xs) => {
    const w = f32(xs),
      d = w.map((v) => v / 2);
    const r = tensorSqnrDb(w, d);
    if (r.value !== null) expect(r.value).toBeCloseTo(10 * Math.log10(4), 6);
    else expect(r.reason).toMatch(/exact|zero signal/);
  });
});

describe("accumulateStatsRange (one pass in pieces)", () => {
  fcTest.prop([fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 5 }), fc.float({ noNaN: true, min: 0, max: 10 })])(
    "ranges taken in order give exactly (bit for bit) the sums of accumulateStats",
    (xs, cuts, start) => {
      const original = Float32Array.from(xs),
        decoded = original.map((v, i) => Math.fround(v * (1 + ((i % 7) - 3) / 50)));
      const prior = { ...emptyStats(), count: 3, signal: 0.1, noise: 0.02, maxAbs: start };
      const want = accumulateStats({ ...prior }, original, decoded);
      const at = [0, ...cuts.map((c) => c % (original.length + 1)).sort((a, b) => a - b), original.length];
      const run = startStats(prior);
      for (let k = 0; k + 1 < at.length; k++) accumulateStatsRange(run, original, decoded, at[k]!, at[k + 1]!);
      const got = endStats({ ...prior }, run, original.length);
      for (const key of ["count", "signal", "noise", "maxAbs"] as const) expect(Object.is(got[key], want[key]), key).toBe(true);
    },
  );
});

describe("accumulateStatsCoded (sums through a table of code values)", () => {
  const f = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  fcTest.prop([fc.array(f, { minLength: 1, maxLength: 64 }), fc.array(fc.tuple(f, fc.nat()), { maxLength: 200 })])("gives exactly (bit for bit) accumulateStats of the original against table[code]", (levels, pairs) => {
    const table = Float32Array.from(levels);
    const original = Float32Array.from(pairs, ([w]) => w),
      codes = Uint32Array.from(pairs, ([, q]) => q % table.length);
    const want = accumulateStats(
      emptyStats(),
      original,
      Float32Array.from(codes, (q) => table[q]!),
    );
    const run = startStats(emptyStats());
    expect(accumulateStatsCoded(run, original, codes, table, 0, original.length)).toBe(original.length);
    const got = endStats(emptyStats(), run, original.length);
    for (const key of ["count", "signal", "noise", "maxAbs"] as const) expect(Object.is(got[key], want[key]), key).toBe(true);
  });

  it("stops before the first code without a table entry, its sums those of the codes before it", () => {
    const table = Float32Array.of(0, 0.5);
    const original = Float32Array.of(1, 2, 3, 4),
      codes = Uint32Array.of(1, 0, 2, 1);
    const run = startStats(emptyStats());
    expect(accumulateStatsCoded(run, original, codes, table, 0, 4)).toBe(2);
    expect(run).toEqual({ signal: 5, noise: 0.25 + 4, maxAbs: 2 });
  });

  // The loop has no per-code check (a NaN noise sends it to a rescan): against a loop that checks
  // every code and stops, with codes past the table and NaN weights (each alone makes the noise NaN)
  // in any ranges, carried from range to range.
  fcTest.prop([
    fc.array(f, { minLength: 1, maxLength: 8 }),
    fc.array(fc.tuple(fc.oneof(f, fc.constant(Number.NaN)), fc.nat({ max: 10 })), { maxLength: 120 }),
    fc.array(fc.nat({ max: 120 }), { maxLength: 4 }),
    fc.constantFrom(Uint8Array, Uint16Array, Uint32Array),
  ])("stops where a loop checking every code stops, with its sums to the bit", (levels, pairs, cuts, Codes) => {
    const table = Float32Array.from(levels);
    const original = Float32Array.from(pairs, ([w]) => w),
      codes = new Codes(pairs.length);
    for (const [i, [, q]] of pairs.entries()) codes[i] = q;
    const bounds = [...new Set([0, ...cuts.filter((c) => c < original.length), original.length])].sort((a, b) => a - b);
    const want = { signal: 0, noise: 0, maxAbs: 0 };
    const run = startStats(emptyStats());
    for (let k = 0; k + 1 < bounds.length; k++) {
      const [start, end] = [bounds[k]!, bounds[k + 1]!];
      let i = start;
      for (; i < end && codes[i]! < table.length; i++) {
        const e = original[i]! - table[codes[i]!]!;
        want.signal += original[i]! * original[i]!;
        want.noise += e * e;
        want.maxAbs = Math.max(want.maxAbs, Math.abs(e));
      }
      expect(accumulateStatsCoded(run, original, codes, table, start, end)).toBe(i);
      for (const key of ["signal", "noise", "maxAbs"] as const) expect(Object.is(run[key], want[key]), key).toBe(true);
      if (i !== end) break;
    }
  });
});
