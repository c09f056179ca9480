import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, lowerHull, type RdPoint } from "./allocate-impl.js";

const pts = (a: [number, number][]): RdPoint[] => a.map(([rate, dist]) => ({ rate, dist }));

describe("lowerHull", () => {
  it("keeps the convex, strictly decreasing lower boundary", () => {
    // (2, 6) lies above the segment (1, 10)–(3, 1); (4, 1) is no better than (3, 1).
    expect(
      lowerHull(
        pts([
          [1, 10],
          [2, 6],
          [3, 1],
          [4, 1],
          [5, 0.5],
        ]),
      ),
    ).toEqual([0, 2, 4]);
    expect(
      lowerHull(
        pts([
          [1, Infinity],
          [2, 3],
        ]),
      ),
    ).toEqual([1]);
  });
  // Distortions are measured errors (normal floats); subnormal differences would underflow the slopes.
  it("every point lies on or above the hull, whose slopes decrease in magnitude", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 64 }),
            fc.integer({ min: 0, max: 100_000 }).map((v) => v / 1000),
          ),
          { minLength: 1, maxLength: 12 },
        ),
        (a) => {
          const p = pts(a);
          const h = lowerHull(p);
          for (let k = 1; k < h.length; k++) expect(p[h[k]!]!.dist).toBeLessThan(p[h[k - 1]!]!.dist);
          for (let k = 2; k < h.length; k++) {
            const s1 = (p[h[k - 2]!]!.dist - p[h[k - 1]!]!.dist) / (p[h[k - 1]!]!.rate - p[h[k - 2]!]!.rate);
            const s2 = (p[h[k - 1]!]!.dist - p[h[k]!]!.dist) / (p[h[k]!]!.rate - p[h[k - 1]!]!.rate);
            expect(s2).toBeLessThan(s1);
          }
          for (const q of p) {
            // No point is strictly below the hull's piecewise-linear curve within its rate range.
            for (let k = 1; k < h.length; k++) {
              const a0 = p[h[k - 1]!]!,
                b0 = p[h[k]!]!;
              if (q.rate >= a0.rate && q.rate <= b0.rate) expect(q.dist).toBeGreaterThanOrEqual(a0.dist + ((b0.dist - a0.dist) * (q.rate - a0.rate)) / (b0.rate - a0.rate) - 1e-9);
            }
          }
        },
      ),
    );
  });
});

describe("allocate", () => {
  it("gives the bits to the sensitive tensor (known optimum)", () => {
    const a = pts([
        [1, 100],
        [2, 10],
        [3, 1],
      ]),
      b = pts([
        [1, 1],
        [2, 0.5],
        [3, 0.4],
      ]);
    const r = allocate([a, b], 4);
    expect(Array.from(r.choice)).toEqual([2, 0]);
    expect(r.totalDist).toBe(2);
    expect(r.totalRate).toBe(4);
    expect(r.feasible).toBe(true);
  });
  it("stays within the budget and matches brute force on small convex instances", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 6 }), (curv, extra) => {
        // Convex decreasing curves: D(k) = c·2^(−2k) at rates k = 1…4 (high-resolution shape).
        const inst = curv.map((c) => [1, 2, 3, 4].map((k) => ({ rate: k, dist: c[0]! * 4 ** -k })));
        const budget = inst.length + extra;
        const r = allocate(inst, budget);
        expect(r.totalRate).toBeLessThanOrEqual(budget);
        let best = Infinity;
        const rec = (t: number, rate: number, d: number): void => {
          if (rate > budget) return;
          if (t === inst.length) {
            best = Math.min(best, d);
            return;
          }
          for (const p of inst[t]!) rec(t + 1, rate + p.rate, d + p.dist);
        };
        rec(0, 0, 0);
        expect(r.totalDist).toBeCloseTo(best, 12);
      }),
    );
  });
  it("reports an infeasible budget and picks the cheapest points", () => {
    const r = allocate(
      [
        pts([
          [4, 1],
          [8, 0],
        ]),
        pts([[4, 2]]),
      ],
      5,
    );
    expect(r.feasible).toBe(false);
    expect(Array.from(r.choice)).toEqual([0, 0]);
  });
});
