import fc from "fast-check";
import { Rng } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { assignEcsq, iterativeEcsq } from "./ecsq-impl.js";
import { assignIntervals, linearInit, lloyd1d, optimalHistogramInit, uniqueSorted, updateCentres } from "./kmeans-impl.js";
import { argsortFloat32, prepareSorted, type SortedData } from "./sorted-impl.js";

/** Direct (not prefix-sum) weighted distortion of a nearest-centre-by-interval state. */
function directDistortion(d: SortedData, centres: Float64Array, bounds: Uint32Array): number {
  let s = 0;
  for (let j = 0; j < centres.length; j++) for (let i = bounds[j]!; i < bounds[j + 1]!; i++) s += d.h[i]! * (d.v[i]! - centres[j]!) ** 2;
  return s;
}

const dataArb = fc.record({
  values: fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 300 }),
  seed: fc.integer(),
  k: fc.integer({ min: 1, max: 12 }),
});

function withWeights(values: number[], seed: number): { w: Float32Array; h: Float64Array } {
  const rng = new Rng(seed);
  const h = new Float64Array(values.length);
  for (let i = 0; i < h.length; i++) h[i] = 0.05 + rng.float() * 3;
  return { w: Float32Array.from(values), h };
}

describe("argsortFloat32", () => {
  it("sorts like a numeric comparator sort, stably", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true })), (xs) => {
        const a = Float32Array.from(xs);
        const idx = argsortFloat32(a);
        for (let i = 1; i < idx.length; i++) {
          expect(a[idx[i - 1]!]! <= a[idx[i]!]!).toBe(true);
          if (a[idx[i - 1]!] === a[idx[i]!] && !Object.is(a[idx[i - 1]!], -0) && !Object.is(a[idx[i]!], -0)) expect(idx[i - 1]! < idx[i]!).toBe(true);
        }
      }),
    );
  });
});

describe("Hessian-weighted Lloyd (sorted, prefix sums)", () => {
  it("no step increases the Hessian-weighted distortion (property)", () => {
    fc.assert(
      fc.property(dataArb, ({ values, seed, k }) => {
        const { w, h } = withWeights(values, seed);
        const d = prepareSorted(w, h);
        const rng = new Rng(seed ^ 0x55);
        let centres: Float64Array = Float64Array.from({ length: k }, () => d.v[rng.int(0, d.n - 1)]!)
          .sort()
          .filter((x, i, a) => i === 0 || x > a[i - 1]!);
        let bounds = assignIntervals(d, centres);
        let prev = directDistortion(d, centres, bounds);
        // Prefix-sum centroids are exact up to rounding at the scale of the data, not of a cell:
        // allow Σh·(1e-14·max|v|)², far below any distortion that matters.
        let sh = 0,
          vmax = 0,
          energy = 0;
        for (let i = 0; i < d.n; i++) {
          sh += d.h[i]!;
          vmax = Math.max(vmax, Math.abs(d.v[i]!));
          energy += d.h[i]! * d.v[i]! ** 2;
        }
        const atol = sh * (1e-14 * vmax) ** 2;
        for (let step = 0; step < 8; step++) {
          const up = updateCentres(d, bounds); // centre step (empty cells dropped)
          const afterUpdate = directDistortion(d, up.centres, up.bounds);
          expect(afterUpdate).toBeLessThanOrEqual(prev * (1 + 1e-12) + atol);
          // The prefix-sum distortion S2 − 2cS1 + c²S0 is exact up to rounding of the energy Σh·v².
          expect(Math.abs(up.distortion - afterUpdate)).toBeLessThanOrEqual(energy * 1e-12);
          centres = uniqueSorted(up.centres);
          bounds = assignIntervals(d, centres); // assignment step
          const afterAssign = directDistortion(d, centres, bounds);
          expect(afterAssign).toBeLessThanOrEqual(afterUpdate * (1 + 1e-12) + atol);
          prev = afterAssign;
        }
      }),
      { numRuns: 150 },
    );
  });

  it("keeps a value at or above the upper centre out of a pair of nearly equal centres (regression)", () => {
    // Two centres one ulp apart: the rounded squared distances of a far value tie, which must not
    // keep it in the lower pair's cell.
    const d = prepareSorted(Float32Array.of(0, 0, -2.168404344971009e-19, 0, 0.08456796407699585), null);
    const a = d.v[1]!;
    const c = Float64Array.of(a, a + Math.abs(a) * 2 ** -52, d.v[d.n - 1]!);
    const b = assignIntervals(d, c);
    expect(b[2]).toBe(d.n - 1);
    expect(b[3]).toBe(d.n);
  });

  it("interval cells are exactly the nearest-centre cells", () => {
    fc.assert(
      fc.property(dataArb, ({ values, seed, k }) => {
        const { w, h } = withWeights(values, seed);
        const d = prepareSorted(w, h);
        const c = linearInit(d, k).filter((x, i, a) => i === 0 || x > a[i - 1]!);
        const b = assignIntervals(d, c);
        for (let j = 0; j < c.length; j++)
          for (let i = b[j]!; i < b[j + 1]!; i++) {
            for (let q = 0; q < c.length; q++) expect((d.v[i]! - c[j]!) ** 2).toBeLessThanOrEqual((d.v[i]! - c[q]!) ** 2);
          }
      }),
      { numRuns: 100 },
    );
  });
});

/** Exhaustive optimum of weighted 1-D k-means over contiguous partitions (tiny n). */
function bruteForce(d: SortedData, k: number): number {
  let best = Infinity;
  const cost = (a: number, b: number) => {
    let s0 = 0,
      s1 = 0;
    for (let i = a; i < b; i++) {
      s0 += d.h[i]!;
      s1 += d.h[i]! * d.v[i]!;
    }
    const m = s1 / s0;
    let e = 0;
    for (let i = a; i < b; i++) e += d.h[i]! * (d.v[i]! - m) ** 2;
    return e;
  };
  const rec = (start: number, left: number, acc: number) => {
    if (left === 1) {
      best = Math.min(best, acc + cost(start, d.n));
      return;
    }
    for (let e = start + 1; e <= d.n - left + 1; e++) rec(e, left - 1, acc + cost(start, e));
  };
  rec(0, Math.min(k, d.n), 0);
  return best;
}

describe("optimal start (DP on a histogram)", () => {
  it("is the exact optimum when every bin holds one distinct value", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -500, max: 500 }), { minLength: 2, maxLength: 11 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (ints, k, seed) => {
        const { w, h } = withWeights(
          ints.map((x) => x / 64),
          seed,
        );
        const d = prepareSorted(w, h);
        // 1/64-spaced integers: 64 000 bins over the range put every value in its own bin.
        const c = optimalHistogramInit(d, k, 1 << 17);
        const b = assignIntervals(d, c);
        const dist = directDistortion(d, c, b);
        expect(dist).toBeLessThanOrEqual(bruteForce(d, k) * (1 + 1e-9) + 1e-12);
      }),
      { numRuns: 80 },
    );
  });

  it("beats the linear start by far at k = 64 on Laplacian data", () => {
    const rng = new Rng(4);
    const w = Float32Array.from({ length: 50_000 }, () => rng.laplace(1));
    const d = prepareSorted(w, null);
    const good = lloyd1d(d, optimalHistogramInit(d, 64, 4096), 500);
    const poor = lloyd1d(d, linearInit(d, 64), 500);
    expect(good.distortion).toBeLessThan(poor.distortion / 2);
  });

  it("refines the histogram for concentrated data: ≈ 1e-4 values with a few near ±0.5 still get k centres", () => {
    const rng = new Rng(9);
    const w = Float32Array.from({ length: 4096 }, () => (rng.float() < 0.5 ? -1 : 1) * 1e-4 * (0.2 + 1.6 * rng.float()));
    for (let i = 0; i < 8; i++) w[i * 500] = (i % 2 ? -1 : 1) * (0.4 + 0.02 * i);
    const d = prepareSorted(w, null);
    // 4,096 bins over [−0.56, 0.54] hold all the small values in two bins; unrefined, the DP
    // would return 2 + 8 centres.
    const c = optimalHistogramInit(d, 256, 4096);
    expect(c.length).toBe(256);
    const fine = lloyd1d(d, c, 500);
    let inlierPower = 0;
    for (const v of w) if (Math.abs(v) < 0.01) inlierPower += v * v;
    // 248 levels for the small values: their error is far below their power (> 40 dB).
    expect(fine.distortion).toBeLessThan(inlierPower * 1e-4);
  });
});

describe("iterative ECSQ", () => {
  it("no iteration increases J = D + λH (property)", () => {
    fc.assert(
      fc.property(dataArb, fc.double({ min: 0, max: 2, noNaN: true }), ({ values, seed, k }, lambda) => {
        const { w, h } = withWeights(values, seed);
        let mean = 0;
        for (const x of h) mean += x;
        h.forEach((x, i) => (h[i] = (x * h.length) / mean));
        const d = prepareSorted(w, h);
        const js: number[] = [];
        iterativeEcsq(d, linearInit(d, k + 1), lambda, 60, (_c, J) => js.push(J));
        for (let i = 1; i < js.length; i++) expect(js[i]!).toBeLessThanOrEqual(js[i - 1]! * (1 + 1e-12) + 1e-300);
      }),
      { numRuns: 150 },
    );
  });

  it("with λ = 0 equals Hessian-weighted k-means from the same (linear) start", () => {
    fc.assert(
      fc.property(dataArb, ({ values, seed, k }) => {
        const { w, h } = withWeights(values, seed);
        const d = prepareSorted(w, h);
        const init = linearInit(d, k);
        const km = lloyd1d(d, init, 200);
        const ec = iterativeEcsq(d, init, 0, 200);
        expect(ec.iterations).toBe(km.iterations);
        expect(ec.centres.length).toBe(km.centres.length);
        for (let j = 0; j < km.centres.length; j++) {
          expect(ec.centres[j]!).toBeCloseTo(km.centres[j]!, 12);
          for (let i = km.bounds[j]!; i < km.bounds[j + 1]!; i++) expect(ec.assign[i]).toBe(j);
        }
        expect(ec.distortion * d.n).toBeCloseTo(km.distortion, 10);
      }),
      { numRuns: 150 },
    );
  });

  it("candidate pruning finds the exact Lagrangian argmin", () => {
    fc.assert(
      fc.property(dataArb, fc.double({ min: 0.001, max: 5, noNaN: true }), ({ values, seed, k }, lambda) => {
        const { w, h } = withWeights(values, seed);
        const d = prepareSorted(w, h);
        const rng = new Rng(seed);
        const c = Float64Array.from({ length: k }, () => rng.float() * 8 - 4).sort();
        const len = Float64Array.from({ length: k }, () => rng.float() * 6);
        const a = new Uint32Array(d.n);
        assignEcsq(d, c, len, lambda, a, true);
        for (let i = 0; i < d.n; i++) {
          const cost = (j: number) => d.h[i]! * (d.v[i]! - c[j]!) ** 2 + lambda * len[j]!;
          let best = Infinity;
          for (let j = 0; j < k; j++) best = Math.min(best, cost(j));
          expect(cost(a[i]!)).toBeLessThanOrEqual(best * (1 + 1e-12) + 1e-15);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("a λ sweep trades rate for distortion", () => {
    const rng = new Rng(2);
    const w = Float32Array.from({ length: 20_000 }, () => rng.laplace(1));
    const d = prepareSorted(w, null);
    const init = linearInit(d, 64);
    const pts = [0, 0.02, 0.1, 0.5].map((l) => iterativeEcsq(d, init, l, 300));
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]!.entropy).toBeLessThan(pts[i - 1]!.entropy);
      expect(pts[i]!.distortion).toBeGreaterThan(pts[i - 1]!.distortion);
    }
  });
});
