import { describe, expect, it } from "vitest";
import { Rng } from "./rng.js";

describe("Rng", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    const draw = (r: Rng) => [r.float(), r.int(0, 1000), r.normal(), r.normal(), r.laplace(2)];
    expect(draw(new Rng(5))).toEqual(draw(new Rng(5)));
    expect(draw(new Rng(5))).not.toEqual(draw(new Rng(6)));
    expect(new Rng(-1).seed).toBe(0xffffffff);
  });

  it("forks independent, reproducible children without shifting the parent", () => {
    const a = new Rng(9),
      b = new Rng(9);
    const fa = a.fork("layer1");
    expect(a.float()).toBe(b.float()); // forking did not consume the parent
    expect(fa.float()).toBe(new Rng(9).fork("layer1").float());
    expect(new Rng(9).fork("layer1").float()).not.toBe(new Rng(9).fork("layer2").float());
  });

  it("draws integers in the closed range and floats in [0, 1)", () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const k = r.int(-2, 2);
      expect(k).toBeGreaterThanOrEqual(-2);
      expect(k).toBeLessThanOrEqual(2);
      seen.add(k);
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
  });

  it("has the right moments for normal and Laplace samples", () => {
    const r = new Rng(3);
    const n = 40000;
    let s = 0,
      s2 = 0,
      l = 0,
      l2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
      const y = r.laplace(2);
      l += y;
      l2 += y * y;
    }
    // Standard errors: mean ≈ σ/√n, variance ≈ σ²·√(2/n) (normal), larger for Laplace (kurtosis 6).
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(l / n)).toBeLessThan((4 * 2) / Math.sqrt(n));
    expect(Math.abs(l2 / n - 4)).toBeLessThan(4 * 4 * Math.sqrt(5 / n));
  });

  it("shuffles into a permutation, deterministically", () => {
    const a = Array.from({ length: 50 }, (_, i) => i),
      b = [...a];
    new Rng(4).shuffle(a);
    new Rng(4).shuffle(b);
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
  });
});
