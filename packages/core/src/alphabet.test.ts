import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ErrorCodes, dequantizeCodes, requantizeValues, type Codebook } from "./index.js";
import { alphabetCodebook, alphabetForWeights, alphabetSize, fillCells, floorCode, isOnAlphabet, layerScale, nearestCode, roundToAlphabet, uniformAlphabet, type AlphabetKind } from "./alphabet.js";

const KINDS: AlphabetKind[] = ["midtread", "midrise"];

function decode(a: ReturnType<typeof uniformAlphabet>): Float32Array {
  const codes = Uint32Array.from({ length: a.size }, (_, i) => i);
  const out = new Float32Array(a.size);
  dequantizeCodes({ ...alphabetCodebook(a), id: "x" } as Codebook, codes, null, out);
  return out;
}

describe("uniformAlphabet", () => {
  it("has the level sets of the spec (§2)", () => {
    const c = 1.5;
    expect([...uniformAlphabet(1, "midtread", c).levels]).toEqual([-1.5, 1.5]);
    expect([...uniformAlphabet(1, "midrise", c).levels]).toEqual([-1.5, 1.5]);
    expect([...uniformAlphabet(2, "midtread", c).levels]).toEqual([-1.5, 0, 1.5]);
    expect([...uniformAlphabet(3, "midtread", 3).levels]).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    // midrise, 2 bits: ±(i − ½)δ with δ = c/(2 − ½) = 1 for c = 1.5.
    expect([...uniformAlphabet(2, "midrise", c).levels]).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(alphabetSize(4, "midtread")).toBe(15);
    expect(alphabetSize(4, "midrise")).toBe(16);
    expect(alphabetSize(8, "midtread")).toBe(255);
  });

  it("is symmetric, ascending, covers [−c, c] and decodes bit-exactly through its core codebook", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom(...KINDS), fc.float({ min: Math.fround(1e-30), max: Math.fround(1e30), noNaN: true }), (bits, kind, c) => {
        const a = uniformAlphabet(bits, kind, c);
        const lv = a.levels;
        expect(lv.length).toBe(alphabetSize(bits, kind));
        let ascending = true,
          symmetric = true;
        for (let i = 1; i < lv.length; i++) ascending &&= lv[i]! > lv[i - 1]!;
        for (let i = 0; i < lv.length; i++) symmetric &&= lv[i]! === -lv[lv.length - 1 - i]!;
        expect(ascending && symmetric).toBe(true);
        expect(lv[lv.length - 1]!).toBeGreaterThanOrEqual(c);
        expect(a.affine).toBe(true);
        expect(Array.from(decode(a))).toEqual(Array.from(lv));
        // The top level overshoots c by at most a few float32 ulps.
        expect(lv[lv.length - 1]!).toBeLessThanOrEqual(c * (1 + 1e-6));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("is all zero for a zero (or negligible) scale and keeps codes consistent with core's requantization", () => {
    for (const kind of KINDS) {
      const a = uniformAlphabet(3, kind, 0);
      expect(a.step).toBe(0);
      expect([...a.levels].every((v) => v === 0)).toBe(true);
      const codes = new Uint32Array(3);
      roundToAlphabet(a, [1e-40, 0, -1e-40], codes);
      const back = new Uint32Array(3);
      requantizeValues({ ...alphabetCodebook(a), id: "z" } as Codebook, new Float32Array(3), null, back);
      expect([...codes]).toEqual([...back]);
    }
    expect(uniformAlphabet(4, "midtread", 2 ** -126).step).toBe(0);
  });

  it("uses an exact levels codebook when δ overflows float32", () => {
    const c = 3.4e38;
    const a = uniformAlphabet(1, "midtread", c);
    expect(a.affine).toBe(false);
    expect([...a.levels]).toEqual([-Math.fround(c), Math.fround(c)]);
    const cb = alphabetCodebook(a);
    expect(cb.kind).toBe("levels");
    expect(Array.from(decode(a))).toEqual(Array.from(a.levels));
  });

  it("rejects bad bit widths, kinds and scales with QF_INVALID_OPTIONS", () => {
    for (const bad of [0, 9, 2.5]) expect(() => uniformAlphabet(bad, "midtread", 1)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
    expect(() => uniformAlphabet(2, "log" as AlphabetKind, 1)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => uniformAlphabet(2, "midtread", bad)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS }));
  });
});

describe("layer scale and rounding", () => {
  it("takes c = max|w| of the layer", () => {
    expect(layerScale(Float32Array.of(0.5, -2, 1))).toBe(2);
    expect(layerScale(new Float32Array(0))).toBe(0);
    expect(alphabetForWeights(Float32Array.of(0.25, -1), 2).levels[2]).toBe(1);
  });

  it("nearestCode is the arg-min over the levels (ties to the lower level) and floorCode the largest level ≤ v", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...KINDS), fc.double({ min: -3, max: 3, noNaN: true }), (bits, kind, v) => {
        const a = uniformAlphabet(bits, kind, 2);
        const lv = a.levels;
        let best = 0;
        for (let i = 1; i < lv.length; i++) if (Math.abs(v - lv[i]!) < Math.abs(v - lv[best]!)) best = i;
        expect(nearestCode(a, v)).toBe(best);
        const f = floorCode(a, v);
        if (v >= lv[0]!) {
          expect(lv[f]!).toBeLessThanOrEqual(v);
          if (f + 1 < lv.length) expect(lv[f + 1]!).toBeGreaterThan(v);
        } else expect(f).toBe(0);
      }),
      { seed: 3, numRuns: 500 },
    );
    const a = uniformAlphabet(2, "midtread", 2);
    expect(nearestCode(a, 1)).toBe(1); // halfway between 0 and 2: lower level
    expect(nearestCode(a, 10)).toBe(2);
    expect(nearestCode(a, -10)).toBe(0);
  });

  it("roundToAlphabet matches core's requantization of the affine codebook on the levels", () => {
    const a = uniformAlphabet(5, "midrise", 0.7);
    const vals = Float32Array.from(a.levels);
    const ours = new Uint32Array(vals.length),
      core = new Uint32Array(vals.length),
      out = new Float64Array(vals.length);
    roundToAlphabet(a, vals, ours, out);
    requantizeValues({ ...alphabetCodebook(a), id: "a" } as Codebook, vals, null, core);
    expect([...ours]).toEqual([...core]);
    expect([...out]).toEqual([...a.levels]);
    expect(isOnAlphabet(a, a.levels[3]!)).toBe(true);
    expect(isOnAlphabet(a, (a.levels[3]! + a.levels[4]!) / 2)).toBe(false);
  });
});

describe("fillCells", () => {
  it("brackets every weight by its two neighbouring levels (cell) or by [−c, c] (box)", () => {
    const w = Float64Array.of(-2, -0.3, 0, 0.51, 2);
    const a = uniformAlphabet(3, "midtread", 2); // levels −2 … 2 step 2/3
    const lo = new Float64Array(5),
      hi = new Float64Array(5);
    fillCells(a, w, "cell", lo, hi);
    for (let i = 0; i < w.length; i++) {
      expect(lo[i]!).toBeLessThanOrEqual(w[i]!);
      expect(hi[i]!).toBeGreaterThanOrEqual(w[i]!);
      expect(isOnAlphabet(a, lo[i]!) && isOnAlphabet(a, hi[i]!)).toBe(true);
      expect(hi[i]! - lo[i]!).toBeLessThanOrEqual(a.step);
    }
    // Weights on a level are fixed (l = u).
    expect([lo[0], hi[0], lo[2], hi[2], lo[4], hi[4]]).toEqual([-2, -2, 0, 0, 2, 2]);
    fillCells(a, w, "box", lo, hi);
    expect([...lo].every((v) => v === -2) && [...hi].every((v) => v === 2)).toBe(true);
  });
});
