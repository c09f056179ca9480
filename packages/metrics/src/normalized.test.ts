import { describe, expect, it } from "vitest";
import { normalizedSqnr, varianceAndMse } from "./normalized.js";

describe("σ-normalised SQNR", () => {
  it("counts tensors of different spread alike and pools by element count", () => {
    const a = Float32Array.from([-1, 1, -1, 1]),
      b = Float32Array.from([-40, 40, -40, 40, 0, 0]);
    const da = a.map((v) => v * 0.9),
      db = b.map((v) => v * 0.9);
    const r = normalizedSqnr({
      original: [
        { name: "a", data: a },
        { name: "b", data: b },
        { name: "skip", data: a },
      ],
      decoded: [
        { name: "a", data: da },
        { name: "b", data: db },
        { name: "skip", data: a },
      ],
      quantizedNames: new Set(["a", "b"]),
      encoded: {
        size: {
          tensors: [
            { name: "a", bytes: 1 },
            { name: "b", bytes: 2 },
          ],
        },
      },
    });
    expect(r.tensors.map((t) => t.name)).toEqual(["a", "b"]);
    expect(r.tensors[0]!.sqnrDb).toBeCloseTo(20, 5);
    expect(r.tensors[1]!.sqnrDb).toBeCloseTo(20, 5);
    expect(r.sqnrDb).toBeCloseTo(20, 5);
    expect(r.bitsPerWeight).toBeCloseTo((8 * 3) / 10, 12);
    const { variance, mse } = varianceAndMse(a, da);
    expect(variance).toBe(1);
    expect(mse).toBeCloseTo(0.01, 7);
  });
  it("reports zero variance, exact reconstruction and no coder without dividing by zero", () => {
    const c = Float32Array.from([2, 2]),
      d = Float32Array.from([0, 1, 2]);
    const r = normalizedSqnr({
      original: [
        { name: "c", data: c },
        { name: "d", data: d },
      ],
      decoded: [
        { name: "c", data: c },
        { name: "d", data: d },
      ],
      quantizedNames: new Set(["c", "d"]),
    });
    expect(r.tensors.map((t) => t.reason)).toEqual(["zero variance", "exact reconstruction"]);
    expect(r).toMatchObject({ sqnrDb: null, reason: "exact reconstruction", bitsPerWeight: null });
    expect(normalizedSqnr({ original: [], decoded: [], quantizedNames: new Set() })).toMatchObject({ sqnrDb: null, reason: "no quantized tensor with nonzero variance" });
  });
});
