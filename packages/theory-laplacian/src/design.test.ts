import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ErrorCodes, InvalidOptionsError, Rng } from "@quantforge/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quadratureDistortion } from "../test-support/quadrature.js";
import { clearDesignCache, designTable, designXMax, granularApproxSqnrDb, iterativeXMax, laplacianDistortion, laplacianDistortionSlope, mismatchSqnrDb, optimalXMax, recommendBits } from "./index.js";

interface Reference {
  optimalXMax: Record<string, string>;
  optimalXMaxMidtread: Record<string, string>;
  optimalSqnrDb: Record<string, string>;
  distortion: { kind: "midrise" | "midtread"; levels: number; xMax: number; sigma: number; granular: string; overload: string }[];
}
/** 80-digit values from scripts/reference.py (naive formulas + finite-difference bisection). */
const ref = JSON.parse(readFileSync(fileURLToPath(new URL("./fixtures/reference.json", import.meta.url)), "utf8")) as Reference;

const BITS = Array.from({ length: 16 }, (_, i) => i + 1);

describe("the published 2-bit design (Perić et al., Entropy 2021)", () => {
  it("Δ ≈ 1.087, x_max ≈ 2.175, SQNR ≈ 7.07 dB", () => {
    const x = optimalXMax(2);
    expect(x).toBeCloseTo(2.175, 3);
    expect((2 * x) / 4).toBeCloseTo(1.087, 3);
    expect(laplacianDistortion(4, x).sqnrDb).toBeCloseTo(7.07, 2);
  });
  it("matches the paper's D(Δ) = 1 + Δ²/4 − (Δ/√2)(1 + 2e^(−√2Δ)) for N = 4", () => {
    for (const d of [0.3, 0.8, 1.061, 1.087, 1.5, 2.5]) {
      const paper = 1 + (d * d) / 4 - (d / Math.SQRT2) * (1 + 2 * Math.exp(-Math.SQRT2 * d));
      expect(laplacianDistortion(4, 2 * d).total).toBeCloseTo(paper, 13);
    }
  });
  it("the paper's asymptotic Δ = 1.061 gives an SQNR about 0.08 % lower", () => {
    const best = laplacianDistortion(4, optimalXMax(2)).sqnrDb;
    const asym = laplacianDistortion(4, 2 * 1.061).sqnrDb;
    expect((best - asym) / best).toBeGreaterThan(0.0004);
    expect((best - asym) / best).toBeLessThan(0.0012);
  });
});

describe("against the 80-digit reference", () => {
  it("optimal x_max for R = 1…16 within 1e-12 (midrise) ", () => {
    for (const r of BITS) expect(Math.abs(optimalXMax(r) - Number(ref.optimalXMax[r]))).toBeLessThanOrEqual(1e-12);
  });
  it("optimal x_max for R = 2…16 within 1e-12 (midtread)", () => {
    for (const r of BITS.slice(1)) expect(Math.abs(optimalXMax(r, { midtread: true }) - Number(ref.optimalXMaxMidtread[r]))).toBeLessThanOrEqual(1e-12);
  });
  it("optimal SQNR within 1e-11 dB", () => {
    for (const r of BITS) expect(Math.abs(laplacianDistortion(2 ** r, optimalXMax(r)).sqnrDb - Number(ref.optimalSqnrDb[r]))).toBeLessThan(1e-11);
  });
  it("D_g and D_o to 1e-13 relative at every R, σ and x_max (no cancellation)", () => {
    for (const c of ref.distortion) {
      const d = laplacianDistortion(c.levels, c.xMax, c.sigma, { midtread: c.kind === "midtread" });
      for (const k of ["granular", "overload"] as const) {
        const want = Number(c[k]);
        if (want < 1e-290) expect(Math.abs(d[k])).toBeLessThan(1e-290);
        else expect(Math.abs(d[k] - want) / want, `${c.kind} N=${c.levels} x=${c.xMax} σ=${c.sigma} ${k}`).toBeLessThan(1e-13);
      }
    }
  });
});

describe("against numerical quadrature (32-point Gauss–Legendre per cell)", () => {
  const cases: [number, number, number, boolean][] = [
    [2, 1.2, 1, false],
    [4, 2.175, 1, false],
    [8, 2.9, 0.3, false],
    [64, 5.3, 1, false],
    [1024, 8.8, 2.5, false],
    [256, 7.02, 0.05, false],
    [1, 1.5, 1, true],
    [3, 2.12, 1, true],
    [7, 2.9, 0.7, true],
    [255, 7.0, 1, true],
    [1023, 8.8, 3, true],
  ];
  it.each(cases)("N = %i, x_max = %f, σ = %f, midtread %s", (N, xMax, sigma, midtread) => {
    const d = laplacianDistortion(N, xMax, sigma, { midtread });
    const q = quadratureDistortion(N, xMax, sigma, midtread);
    expect(Math.abs(d.granular - q.granular) / q.granular).toBeLessThan(1e-11);
    expect(Math.abs(d.overload - q.overload) / q.overload).toBeLessThan(1e-11);
  });
});

describe("the slope dD/dx_max", () => {
  it("matches a central difference of D and vanishes at the optimum", () => {
    for (const [N, x, sigma, midtread] of [
      [4, 1.5, 1, false],
      [256, 5, 1, false],
      [256, 9, 2, false],
      [65536, 12, 1, false],
      [7, 3.5, 1, true],
      [255, 6, 0.5, true],
    ] as const) {
      const h = 1e-4 * x;
      const fd = (laplacianDistortion(N, x + h, sigma, { midtread }).total - laplacianDistortion(N, x - h, sigma, { midtread }).total) / (2 * h);
      const an = laplacianDistortionSlope(N, x, sigma, { midtread });
      expect(Math.abs(an - fd)).toBeLessThan(1e-6 * Math.abs(an) + 1e-18);
    }
    for (const r of [2, 8, 16]) {
      const s0 = laplacianDistortionSlope(2 ** r, optimalXMax(r));
      const s1 = laplacianDistortionSlope(2 ** r, optimalXMax(r) * 1.001);
      expect(Math.abs(s0)).toBeLessThan(1e-9 * Math.abs(s1));
    }
  });
});

describe("properties", () => {
  it("SQNR at the optimum increases with R (5–6 dB per bit) for both designs", () => {
    for (const design of ["optimal", "iterative"] as const) {
      let prev = -Infinity;
      for (const r of BITS) {
        const s = mismatchSqnrDb(r, 1, design);
        expect(s).toBeGreaterThan(prev);
        if (r > 1) {
          expect(s - prev).toBeGreaterThan(1.5);
          expect(s - prev).toBeLessThan(6.02);
        }
        prev = s;
      }
    }
  });
  it("the optimal design is never worse than the iterative one, and within 0.01 dB of it from R = 7", () => {
    for (const r of BITS) {
      const opt = mismatchSqnrDb(r, 1, "optimal"),
        it = mismatchSqnrDb(r, 1, "iterative");
      expect(opt).toBeGreaterThanOrEqual(it);
      if (r >= 7) expect(opt - it).toBeLessThan(0.01);
    }
    expect(mismatchSqnrDb(1, 1, "optimal") - mismatchSqnrDb(1, 1, "iterative")).toBeGreaterThan(0.01);
  });
  it("SQNR is continuous in σ (and finite) over 12 decades", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.double({ min: -6, max: 6, noNaN: true }), (r, lg) => {
        const sigma = 10 ** lg;
        const a = mismatchSqnrDb(r, sigma),
          b = mismatchSqnrDb(r, sigma * (1 + 1e-9));
        return Number.isFinite(a) && Math.abs(a - b) < 1e-6;
      }),
      { seed: 7, numRuns: 300 },
    );
  });
  it("is continuous across the series/closed-form switch of the cell integrals", () => {
    // s = Δ/(√2σ) = 2 switches the cell formulas; s = 4 the central midtread cell.
    for (const [N, midtread, sw] of [
      [8, false, 2],
      [9, true, 2],
      [9, true, 4],
    ] as const) {
      const xAt = (sw * Math.SQRT2 * N) / 2;
      const lo = laplacianDistortion(N, xAt * (1 - 1e-12), 1, { midtread }).total;
      const hi = laplacianDistortion(N, xAt * (1 + 1e-12), 1, { midtread }).total;
      expect(Math.abs(lo - hi) / lo).toBeLessThan(1e-11);
    }
  });
  it("D_o vanishes below the design variance: SQNR loses one dB per dB of mismatch", () => {
    // The granular approximation Δ²/12 needs cells small against σ (high resolution).
    let checked = 0;
    for (const r of [4, 6, 9, 12, 16]) {
      for (const sigma of [0.5, 0.1, 0.02, 0.001]) {
        if ((2 * optimalXMax(r)) / 2 ** r > sigma / 5) continue;
        expect(mismatchSqnrDb(r, sigma)).toBeCloseTo(granularApproxSqnrDb(r, sigma), 1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
    expect(mismatchSqnrDb(16, 0.1) - mismatchSqnrDb(16, 0.01)).toBeCloseTo(20, 1);
  });
  it("above the design variance overload makes SQNR collapse (no R ≤ 16 reaches 30 dB at +10 dB)", () => {
    for (const r of BITS) expect(mismatchSqnrDb(r, Math.sqrt(10))).toBeLessThan(30);
    expect(mismatchSqnrDb(16, 2)).toBeLessThan(granularApproxSqnrDb(16, 2) - 20);
  });
});

describe("iterative rule", () => {
  it("starts at √2·ln N, converges to the fixed point, x_max ≈ 2.0016 at 2 bits", () => {
    expect(iterativeXMax(2).xMax).toBeCloseTo(2.0016, 4);
    for (const r of BITS) {
      const { xMax, iterations } = iterativeXMax(r);
      const N = 2 ** r;
      expect(Math.abs(xMax - Math.log((3 * N * N) / (Math.SQRT2 * xMax)) / Math.SQRT2)).toBeLessThan(1e-12);
      expect(iterations).toBeGreaterThan(3);
      expect(iterations).toBeLessThan(60);
      // The bare start value costs ~0.4 dB at high R: iterating matters.
      if (r >= 12) expect(mismatchSqnrDb(r, 1) - laplacianDistortion(N, Math.SQRT2 * Math.log(N)).sqnrDb).toBeGreaterThan(0.2);
    }
  });
});

describe("Monte Carlo (seeded, 1e6 Laplacian samples from core Rng)", () => {
  function measuredSqnrDb(x: Float64Array, N: number, xMax: number, midtread: boolean): number {
    const step = (2 * xMax) / N;
    let sig = 0,
      err = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!,
        a = Math.abs(v);
      let y: number;
      if (midtread) y = Math.min(Math.round(a / step), (N - 1) / 2) * step;
      else y = (Math.min(Math.floor(a / step), N / 2 - 1) + 0.5) * step;
      // x = 0 maps to +Δ/2 (midrise): compare the sign bit, not Math.sign.
      const q = v < 0 ? -y : y;
      sig += v * v;
      err += (v - q) * (v - q);
    }
    return 10 * Math.log10(sig / err);
  }
  it.each([1, 2, 3])("R = %i agrees with theory within 0.1 dB (matched, mismatched, midtread)", (r) => {
    for (const [sigma, seed] of [
      [1, 11],
      [0.5, 12],
      [1.6, 13],
    ] as const) {
      const rng = new Rng(seed + 100 * r);
      const x = new Float64Array(1_000_000);
      for (let i = 0; i < x.length; i++) x[i] = rng.laplace(sigma);
      // Theory refers to the source variance σ² (not the sample's), as in the paper.
      expect(Math.abs(measuredSqnrDb(x, 2 ** r, optimalXMax(r), false) - mismatchSqnrDb(r, sigma))).toBeLessThan(0.1);
      if (r >= 2) {
        const xm = optimalXMax(r, { midtread: true });
        expect(Math.abs(measuredSqnrDb(x, 2 ** r - 1, xm, true) - laplacianDistortion(2 ** r - 1, xm, sigma, { midtread: true }).sqnrDb)).toBeLessThan(0.1);
      }
    }
  });
});

describe("bit-rate rule", () => {
  it("picks the smallest R whose exact mismatched SQNR reaches the target", () => {
    const rec = recommendBits({ sigma: 0.05, targetSqnrDb: 30 });
    expect(rec.reachable).toBe(true);
    expect(mismatchSqnrDb(rec.bits, 0.05)).toBeGreaterThanOrEqual(30);
    expect(mismatchSqnrDb(rec.bits - 1, 0.05)).toBeLessThan(30);
    expect(rec.sqnrDb).toBe(mismatchSqnrDb(rec.bits, 0.05));
    expect(rec.candidates).toHaveLength(16);
  });
  it("agrees with the granular approximation for σ_w ≤ 1 (one dB of SQNR per dB of mismatch)", () => {
    for (const sigma of [1, 0.5, 0.1, 0.03, 0.01]) {
      for (const target of [20, 35, 50]) {
        const rec = recommendBits({ sigma, targetSqnrDb: target });
        if (rec.reachable && rec.bits > 1) expect(Math.abs(rec.bits - rec.granularApproxBits!)).toBeLessThanOrEqual(0);
      }
    }
    // Every dB below the design variance costs a dB of SQNR, and a bit buys 6.02 dB minus the
    // growth of 20·log10 x_max(R): the pick never falls as σ_w falls, and 40 dB of mismatch
    // costs 40/(6.02 − 0.8…0.9) ≈ 7–8 bits.
    let prev = 0;
    for (let db = 0; db >= -40; db--) {
      const bits = recommendBits({ sigma: 10 ** (db / 20), targetSqnrDb: 30 }).bits;
      expect(bits).toBeGreaterThanOrEqual(prev);
      prev = bits;
    }
    const span = prev - recommendBits({ sigma: 1, targetSqnrDb: 30 }).bits;
    expect(span).toBeGreaterThanOrEqual(7);
    expect(span).toBeLessThanOrEqual(8);
  });
  it("says unreachable with the best R when no R ≤ 16 reaches the target", () => {
    const rec = recommendBits({ sigma: Math.sqrt(10), targetSqnrDb: 30 });
    expect(rec.reachable).toBe(false);
    const best = Math.max(...rec.candidates.map((c) => c.sqnrDb));
    expect(rec.sqnrDb).toBe(best);
    expect(rec.candidates.find((c) => c.bits === rec.bits)!.sqnrDb).toBe(best);
    expect(rec.granularApproxBits).not.toBeNull(); // the approximation is badly wrong here
  });
  it("rejects bad input with typed errors", () => {
    expect(() => recommendBits({ sigma: 0, targetSqnrDb: 30 })).toThrow(InvalidOptionsError);
    expect(() => recommendBits({ sigma: 1, targetSqnrDb: Number.NaN })).toThrow(/targetSqnrDb/);
    try {
      optimalXMax(17.5);
      expect.unreachable();
    } catch (e) {
      expect((e as InvalidOptionsError).code).toBe(ErrorCodes.INVALID_OPTIONS);
    }
    expect(() => optimalXMax(1, { midtread: true })).toThrow(/midtread/);
    expect(() => laplacianDistortion(5, 1)).toThrow(/even/);
    expect(() => laplacianDistortion(4, 1, { midtread: true } as never)).toThrow(InvalidOptionsError);
    expect(() => laplacianDistortion(4, -1)).toThrow(/xMax/);
    expect(() => designXMax(4, "iterative", { midtread: true })).toThrow(/midrise/);
    expect(() => designXMax(4, "best" as never)).toThrow(/design/);
  });
});

describe("design table and cache", () => {
  it("has exactly the documented keys and consistent values", () => {
    const rows = designTable({ bits: [2, 9], sigmaDb: [-20, 0], design: "optimal" });
    expect(rows).toHaveLength(4);
    expect(Object.keys(rows[0]!)).toEqual(["bits", "sigmaDb", "xMax", "step", "sqnrDb", "granularDistortion", "overloadDistortion"]);
    const r = rows[3]!;
    expect(r).toMatchObject({ bits: 9, sigmaDb: 0 });
    expect(r.step).toBeCloseTo((2 * optimalXMax(9)) / 512, 15);
    expect(10 * Math.log10(1 / (r.granularDistortion + r.overloadDistortion))).toBeCloseTo(r.sqnrDb, 10);
    expect(rows[2]!.sqnrDb).toBeCloseTo(mismatchSqnrDb(9, 0.1), 12);
    const it = designTable({ bits: [16], design: "iterative" })[0]!;
    expect(it.xMax).toBe(iterativeXMax(16).xMax);
    expect(() => designTable({ bits: [], design: "optimal" })).toThrow(InvalidOptionsError);
  });
  it("gives identical values after the cache is cleared", () => {
    const before = BITS.map((r) => optimalXMax(r));
    clearDesignCache();
    expect(BITS.map((r) => optimalXMax(r))).toEqual(before);
  });
});
