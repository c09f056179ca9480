import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { assertFinite } from "./tensor.js";

describe("assertFinite (branch-free blocks)", () => {
  const at = (n: number, bad: [number, number][]) => {
    const data = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -0 : 1e38) * (i % 7 ? 1 : -1));
    for (const [i, v] of bad) data[i] = v;
    return { name: "w", shape: [n], data };
  };

  it("accepts finite values (−0, ±3.4e38 and subnormals included)", () => {
    expect(() =>
      assertFinite(
        at(10_000, [
          [3, 3.4028234663852886e38],
          [9, -3.4028234663852886e38],
          [4097, 1e-45],
        ]),
      ),
    ).not.toThrow();
    expect(() => assertFinite({ name: "e", shape: [0], data: new Float32Array(0) })).not.toThrow();
  });

  test.prop([fc.integer({ min: 1, max: 9000 }), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), fc.option(fc.nat())])(
    "names the first NaN or ±Inf wherever it lies (inside or across 4096-element blocks, in the tail)",
    (n, p, v, second) => {
      const i = p % n;
      const bad: [number, number][] = [[i, v]];
      if (second !== null && i + 1 < n) bad.push([i + 1 + (second % (n - i - 1)), Infinity]);
      expect(() => assertFinite(at(n, bad))).toThrow(`has a non-finite value (${v}) at index ${i}.`);
    },
  );
});
