import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AffineCodebook, Codebook, GridCodebook, LevelsCodebook } from "./codebook.js";
import { codebookGroupParams, codebookSize, gridStep } from "./codebook.js";
import { codedGroups, dequantizeCodes, dequantizeTensor, requantizeTensor, requantizeValues } from "./codebook-impl.js";
import { ErrorCodes } from "./errors.js";
import { groupCount, groupIndexMap, type Grouping } from "./grouping.js";
import type { QuantizedTensor } from "./quantized.js";
import { Rng } from "./rng.js";
import { shapeSize } from "./tensor.js";

const fround = Math.fround;

/** A tensor layout: shape + grouping (tensor, channel along a random axis, or groups). */
const layoutArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
    kind: fc.constantFrom("tensor", "channel", "group"),
    axisSeed: fc.nat(),
    size: fc.integer({ min: 1, max: 10 }),
  })
  .map(({ shape, kind, axisSeed, size }): { shape: number[]; grouping: Grouping } => ({
    shape,
    grouping: kind === "tensor" ? { kind } : kind === "channel" ? { kind, axis: axisSeed % shape.length } : { kind: "group", size },
  }));

function paramsFor(rng: Rng, n: number, f: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = f();
  void rng;
  return a;
}

function tensorOf(shape: number[], grouping: Grouping, cb: Codebook, rng: Rng, sparse = false): QuantizedTensor {
  const n = shapeSize(shape);
  const positions = sparse ? Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter(() => rng.float() < 0.5)) : undefined;
  const codes = new Uint32Array(positions ? positions.length : n);
  for (let i = 0; i < codes.length; i++) codes[i] = rng.int(0, codebookSize(cb) - 1);
  return { name: "t", shape, grouping, codebook: cb.id, codes, ...(positions ? { sparse: { positions } } : {}) };
}

/** The codebook kinds the oracle below writes out (these tests build no scaled-levels codebook). */
type OracleCodebook = LevelsCodebook | AffineCodebook | GridCodebook;

/** The format's definition, written out independently per element. */
function expected(cb: OracleCodebook, code: number, g: number): number {
  if (cb.kind === "levels") return cb.levels[code]!;
  if (cb.kind === "affine") {
    const k = cb.scale.length === 1 ? 0 : g;
    return fround((code - cb.zeroPoint[k]!) * cb.scale[k]!);
  }
  const k = cb.sigma.length === 1 ? 0 : g;
  const c = cb.midtread ? code - (cb.levels - 1) / 2 : code - cb.levels / 2 + 0.5;
  return fround(cb.mu[k]! + cb.sigma[k]! * fround(c * gridStep(cb)));
}

function checkRoundTrip(t: QuantizedTensor, cb: OracleCodebook): void {
  const dense = dequantizeTensor(t, cb);
  const all = groupIndexMap(t.shape, t.grouping);
  const pos = t.sparse?.positions;
  const survivors = new Set(pos ?? []);
  let k = 0;
  for (let i = 0; i < dense.length; i++) {
    if (pos && !survivors.has(i)) {
      expect(Object.is(dense[i], 0)).toBe(true);
      continue;
    }
    expect(dense[i]).toBe(expected(cb, t.codes[k]!, all[i]!));
    k++;
  }
  expect(requantizeTensor(t, cb, dense)).toEqual(t.codes);
}

describe("dequantize / requantize", () => {
  it("levels: decode is levels[q]; distinct levels re-quantize to their codes; values go to the nearest level", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.float({ min: -100, max: 100, noNaN: true }).map(fround), { minLength: 1, maxLength: 40, comparator: (a, b) => a === b }), layoutArb, fc.nat(), fc.boolean(), (lv, { shape, grouping }, seed, sparse) => {
        const cb: LevelsCodebook = { kind: "levels", id: "t", levels: Float32Array.from(lv) };
        const rng = new Rng(seed);
        checkRoundTrip(tensorOf(shape, grouping, cb, rng, sparse), cb);
        // Arbitrary values: the chosen level is a nearest one; exact ties pick the lower level.
        const vals = Float32Array.from({ length: 30 }, () => (rng.float() - 0.5) * 250);
        const out = new Uint32Array(vals.length);
        requantizeValues(cb, vals, null, out);
        vals.forEach((v, i) => {
          const d = Math.abs(v - cb.levels[out[i]!]!);
          for (const l of cb.levels) expect(d).toBeLessThanOrEqual(Math.abs(v - l));
        });
      }),
      { numRuns: 150, seed: 1 },
    );
    const cb: LevelsCodebook = { kind: "levels", id: "t", levels: Float32Array.from([1, -1, 0]) };
    const out = new Uint32Array(2);
    requantizeValues(cb, Float32Array.from([0.5, -0.5]), null, out);
    expect([...out]).toEqual([2, 1]); // 0.5 ties between 0 and 1 → 0 (code 2); −0.5 → −1 (code 1)
  });

  it("affine: per tensor, per channel and per group re-quantize to the stored codes; out-of-range values clamp", () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 1, max: 16 }), fc.nat(), fc.boolean(), fc.boolean(), ({ shape, grouping }, bits, seed, shared, sparse) => {
        const rng = new Rng(seed);
        const levels = 2 ** bits;
        const groups = shared || grouping.kind === "tensor" ? 1 : groupCount(shape, grouping);
        const cb: AffineCodebook = {
          kind: "affine",
          id: "t",
          levels,
          scale: paramsFor(rng, groups, () => fround(10 ** (rng.float() * 6 - 4))),
          zeroPoint: paramsFor(rng, groups, () => rng.int(0, levels - 1)),
        };
        expect(codebookGroupParams(cb)).toBe(groups);
        const t = tensorOf(shape, grouping, cb, rng, sparse);
        checkRoundTrip(t, cb);
        const out = new Uint32Array(2);
        const s0 = cb.scale[0]!,
          z0 = cb.zeroPoint[0]!;
        requantizeValues(cb, Float32Array.from([(-z0 - 5) * s0, (levels - z0 + 5) * s0]), null, out);
        expect([...out]).toEqual([0, levels - 1]);
      }),
      { numRuns: 200, seed: 2 },
    );
  });

  it("affine with a zero scale re-quantizes everything to the zero point", () => {
    const cb: AffineCodebook = { kind: "affine", id: "t", levels: 16, scale: Float32Array.from([0]), zeroPoint: Float32Array.from([7]) };
    const out = new Uint32Array(3);
    requantizeValues(cb, Float32Array.from([0, 5, -3]), null, out);
    expect([...out]).toEqual([7, 7, 7]);
  });

  it("grid: midrise and midtread, any parity, per channel and per group round-trip", () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 1, max: 300 }), fc.boolean(), fc.nat(), fc.boolean(), ({ shape, grouping }, N, midtread, seed, sparse) => {
        const rng = new Rng(seed);
        const groups = grouping.kind === "tensor" ? 1 : groupCount(shape, grouping);
        const cb: GridCodebook = {
          kind: "grid",
          id: "t",
          levels: N,
          xMax: fround(1 + rng.float() * 5),
          midtread,
          sigma: paramsFor(rng, groups, () => fround(0.01 + rng.float())),
          mu: paramsFor(rng, groups, () => fround((rng.float() - 0.5) * 0.1)),
        };
        checkRoundTrip(tensorOf(shape, grouping, cb, rng, sparse), cb);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("grid levels are symmetric about μ, midtread has 0 as a level, midrise does not", () => {
    for (const [N, midtread] of [
      [8, false],
      [16, false],
      [7, true],
      [15, true],
    ] as const) {
      const cb: GridCodebook = { kind: "grid", id: "g", levels: N, xMax: fround(2.83), midtread, sigma: Float32Array.from([0.7]), mu: Float32Array.from([0]) };
      const codes = Uint32Array.from({ length: N }, (_, i) => i);
      const out = new Float32Array(N);
      dequantizeCodes(cb, codes, null, out);
      for (let q = 0; q < N; q++) expect(out[q]).toBe(-out[N - 1 - q]! + 0); // +0 folds −0
      expect(out.includes(0)).toBe(midtread);
      // The outermost midrise level is x_max − Δ/2 (times σ): the papers' support region.
      if (!midtread) expect(out[N - 1]).toBe(fround(0.7 * fround((N / 2 - 0.5) * gridStep(cb))));
    }
  });

  it("grid values beyond the support clamp to the outermost codes", () => {
    const cb: GridCodebook = { kind: "grid", id: "g", levels: 4, xMax: 2, midtread: false, sigma: Float32Array.from([1]), mu: Float32Array.from([0]) };
    const out = new Uint32Array(4);
    requantizeValues(cb, Float32Array.from([-100, -0.1, 0.1, 100]), null, out);
    expect([...out]).toEqual([0, 1, 2, 3]);
  });

  it("dequantizeTensor rejects a codebook with another id", () => {
    const cb: AffineCodebook = { kind: "affine", id: "other", levels: 4, scale: Float32Array.from([1]), zeroPoint: Float32Array.from([0]) };
    const t: QuantizedTensor = { name: "t", shape: [2], grouping: { kind: "tensor" }, codebook: "t", codes: Uint32Array.from([0, 1]) };
    expect(() => dequantizeTensor(t, cb)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_QUANTIZED }));
  });

  it("codedGroups gives the groups of survivors only", () => {
    const t: QuantizedTensor = { name: "t", shape: [2, 3], grouping: { kind: "channel", axis: 1 }, codebook: "c", codes: Uint32Array.from([0, 0, 0]), sparse: { positions: Uint32Array.from([0, 4, 5]) } };
    expect([...codedGroups(t)!]).toEqual([0, 1, 2]);
    expect(codedGroups({ ...t, grouping: { kind: "tensor" } })).toBeNull();
  });
});
