import fc from "fast-check";
import { DecodeError, Rng, ShapeMismatchError, type QuantizedTensor, type CodeArray } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { encodeRansGroup } from "./group-impl.js";
import { decodeRansGroup } from "./group-decode-impl.js";
import { histogram } from "./section-impl.js";

const opts = { maxScaleBits: 15, maxLanes: 4 };
const t = (codes: Uint32Array, shape = [codes.length], extra: Partial<QuantizedTensor> = {}): QuantizedTensor => ({ name: "", shape, codebook: "", grouping: { kind: "tensor" }, codes, ...extra });

function entropyBits(codes: CodeArray): number {
  const { counts } = histogram(codes);
  let h = 0;
  for (const c of counts) h -= c * Math.log2(c / codes.length);
  return h;
}
/** k-means-like codes: a Laplacian over 16 clusters at a per-tensor scale. */
function clusterCodes(n: number, scale: number, rng: Rng): Uint32Array {
  return Uint32Array.from({ length: n }, () => Math.max(0, Math.min(15, Math.round(rng.laplace(scale)) + 8)));
}

describe("rans group coding", () => {
  it("round-trips random groups (dense, sparse, per-channel, per-group, one-symbol, empty, big alphabets)", () => {
    const tensorArb = fc.record({
      n: fc.integer({ min: 0, max: 300 }),
      k: fc.integer({ min: 1, max: 40 }),
      skew: fc.boolean(),
      sparse: fc.boolean(),
      grouping: fc.constantFrom("tensor", "channel", "group"),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(fc.array(tensorArb, { maxLength: 12 }), fc.constantFrom(16, 40, 70_000), fc.integer({ min: 1, max: 4 }), (specs, alphabet, lanes) => {
        const ts = specs.map((s) => {
          const rng = new Rng(s.seed);
          const k = Math.min(s.k, alphabet);
          const total = s.n;
          const positions = s.sparse ? Uint32Array.from({ length: total }, (_, i) => i).filter(() => rng.float() < 0.3) : undefined;
          const m = positions ? positions.length : total;
          const codes = Uint32Array.from({ length: m }, () => (s.skew && rng.float() < 0.9 ? 3 % k : Math.floor(rng.float() * k)) + (alphabet - k));
          const grouping = s.grouping === "channel" ? { kind: "channel" as const, axis: 0 } : s.grouping === "group" ? { kind: "group" as const, size: 4 } : { kind: "tensor" as const };
          return t(codes, [total], { grouping, ...(positions ? { sparse: { positions } } : {}) });
        });
        const g = encodeRansGroup(ts, alphabet, { maxScaleBits: 15, maxLanes: lanes });
        expect(decodeRansGroup(g.bytes, ts.length, alphabet)).toEqual(ts);
        if (ts.length > 0) expect(g.tensorBytes.reduce((a, b) => a + b, 0)).toBeCloseTo(g.bytes.length, 6);
      }),
      { numRuns: 150 },
    );
  });

  it("stays within 0.02 bit/weight of the per-tensor entropy on 200 small k-means tensors, everything in the group counted", () => {
    const rng = new Rng(7);
    const ts = Array.from({ length: 200 }, (_, i) => t(clusterCodes(i % 4 === 3 ? 24 : 2000 + 37 * i, 0.5 + (i % 5) * 0.4, rng)));
    const g = encodeRansGroup(ts, 16, opts);
    let h = 0,
      n = 0;
    for (const x of ts) {
      h += entropyBits(x.codes);
      n += x.codes.length;
    }
    expect(decodeRansGroup(g.bytes, ts.length, 16)).toEqual(ts);
    expect((8 * g.bytes.length - h) / n).toBeLessThan(0.02);
  });

  it("codes a one-symbol tensor of a repeated shape in three bytes (head, shape reference, symbol)", () => {
    const ts = Array.from({ length: 50 }, () => t(new Uint32Array(9216).fill(5), [3, 3, 32, 32]));
    const g = encodeRansGroup(ts, 16, opts);
    expect(g.bytes.length).toBeLessThanOrEqual(2 + 5 + 3 * 50);
    expect(decodeRansGroup(g.bytes, 50, 16)).toEqual(ts);
  });

  it("decodes groups written with every lane option (a 3-lane option codes with 2 states)", () => {
    const rng = new Rng(11);
    const ts = [t(clusterCodes(40000, 1, rng)), t(clusterCodes(3001, 0.3, rng), [3001]), t(clusterCodes(777, 2, rng))];
    for (const maxLanes of [1, 2, 3, 4]) {
      const g = encodeRansGroup(ts, 16, { maxScaleBits: 15, maxLanes });
      expect(decodeRansGroup(g.bytes, 3, 16)).toEqual(ts);
    }
  });

  it("checks tensors on encode and the element budget on decode", () => {
    expect(() => encodeRansGroup([t(Uint32Array.from([16]))], 16, opts)).toThrow(ShapeMismatchError);
    const g = encodeRansGroup([t(new Uint32Array(1000).fill(1))], 16, opts);
    expect(() => decodeRansGroup(g.bytes, 1, 16, { maxElements: 999 })).toThrow(DecodeError);
    expect(() => decodeRansGroup(g.bytes, 2, 16)).toThrow(DecodeError);
  });

  it("turns truncation and every single-byte change into a DecodeError or a well-formed group", () => {
    const rng = new Rng(3);
    const ts = [t(clusterCodes(500, 1, rng), [20, 25]), t(new Uint32Array(30).fill(2)), t(clusterCodes(40, 3, rng)), t(Uint32Array.from([1, 2]), [4], { sparse: { positions: Uint32Array.from([0, 3]) } })];
    const g = encodeRansGroup(ts, 16, opts).bytes;
    for (let k = 0; k < g.length; k++) expect(() => decodeRansGroup(g.subarray(0, k), ts.length, 16)).toThrow(DecodeError);
    for (let i = 0; i < g.length; i++) {
      for (const d of [1, 0x10, 0x80]) {
        const b = g.slice();
        b[i] = (b[i]! + d) & 0xff;
        try {
          decodeRansGroup(b, ts.length, 16, { maxElements: 1 << 20 });
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }
    }
  });

  describe("classed tensors (version 2)", () => {
    /** A [9, 48] kernel whose 48 output channels have four different scales (the last axis). */
    const kernel = (rng: Rng, rows = 9, cols = 48): QuantizedTensor => {
      const codes = new Uint32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) codes[r * cols + c] = Math.max(0, Math.min(15, Math.round(rng.laplace(0.2 + 1.5 * (c % 4))) + 8));
      return t(codes, [rows, cols]);
    };

    it("codes channels of different scales below the tensors' own entropy, tables and classes counted, and decodes them exactly", () => {
      const rng = new Rng(11);
      const ts = Array.from({ length: 12 }, () => kernel(rng));
      const g = encodeRansGroup(ts, 16, opts);
      expect(g.bytes[0]).toBe(2);
      let h = 0;
      for (const x of ts) h += entropyBits(x.codes);
      expect(8 * g.bytes.length).toBeLessThan(h);
      expect(decodeRansGroup(g.bytes, ts.length, 16)).toEqual(ts);
      expect(g.tensorBytes.reduce((a, b) => a + b, 0)).toBeCloseTo(g.bytes.length, 6);
    });

    it("round-trips random kernels along either axis, mixed with 1-D and sparse tensors", () => {
      let classed = 0;
      fc.assert(
        fc.property(
          fc.array(fc.record({ rows: fc.integer({ min: 6, max: 12 }), cols: fc.integer({ min: 16, max: 48 }), first: fc.boolean(), seed: fc.integer() }), { minLength: 3, maxLength: 8 }),
          fc.integer({ min: 1, max: 4 }),
          (specs, lanes) => {
            const ts = specs.map((s) => {
              const rng = new Rng(s.seed);
              const k = kernel(rng, s.rows, s.cols);
              // Scales along the first axis: the transposed layout.
              return s.first
                ? t(
                    Uint32Array.from({ length: s.rows * s.cols }, (_, i) => k.codes[(i % s.cols) * s.rows + Math.floor(i / s.cols)] ?? 8),
                    [s.cols, s.rows],
                  )
                : k;
            });
            ts.push(t(Uint32Array.from([1, 2, 3, 1]), [8], { sparse: { positions: Uint32Array.from([0, 2, 5, 7]) } }));
            const g = encodeRansGroup(ts, 16, { maxScaleBits: 15, maxLanes: lanes });
            if (g.bytes[0] === 2) classed++;
            expect(decodeRansGroup(g.bytes, ts.length, 16)).toEqual(ts);
          },
        ),
        // A fixed seed: how many of the random groups pick the classed layout varies with the draw
        // (3 of 40 in one CI run), and the check below is about coverage, not chance.
        { numRuns: 40, seed: 20261207 },
      );
      // The property must reach the classed layout, not only version 1.
      expect(classed).toBeGreaterThan(3);
    });

    it("writes version 1 when no tensor is classed, and refuses a classed tensor under version 1", () => {
      const rng = new Rng(5);
      expect(encodeRansGroup([t(clusterCodes(3000, 1, rng))], 16, opts).bytes[0]).toBe(1);
      const g = encodeRansGroup(
        Array.from({ length: 6 }, () => kernel(rng)),
        16,
        opts,
      ).bytes;
      expect(g[0]).toBe(2);
      const v1 = g.slice();
      v1[0] = 1;
      expect(() => decodeRansGroup(v1, 6, 16)).toThrow(DecodeError);
      const v3 = g.slice();
      v3[0] = 3;
      expect(() => decodeRansGroup(v3, 6, 16)).toThrow(/version 3 is not supported/);
    });

    it("turns truncation and every single-byte change of a classed group into a DecodeError or a well-formed group", () => {
      const rng = new Rng(9);
      const ts = [kernel(rng), kernel(rng), kernel(rng, 6, 40), t(clusterCodes(60, 2, rng))];
      const g = encodeRansGroup(ts, 16, opts).bytes;
      expect(g[0]).toBe(2);
      for (let k = 0; k < g.length; k++) expect(() => decodeRansGroup(g.subarray(0, k), ts.length, 16)).toThrow(DecodeError);
      for (let i = 0; i < g.length; i++) {
        for (const d of [1, 0x10, 0x80]) {
          const b = g.slice();
          b[i] = (b[i]! + d) & 0xff;
          try {
            const out = decodeRansGroup(b, ts.length, 16, { maxElements: 1 << 20 });
            for (const x of out) for (const c of x.codes) expect(c).toBeLessThan(16);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }
    });
  });
});
