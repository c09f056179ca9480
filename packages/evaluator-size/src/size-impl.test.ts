import { test as fcTest, fc } from "@fast-check/vitest";
import type { QuantizedTensor } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { codeEntropyBits, entropyBits, symbolCounts } from "./size-impl.js";

const qt = (codes: number[], shape = [codes.length], positions?: number[]): QuantizedTensor => ({
  name: "t",
  shape,
  codebook: "t",
  grouping: { kind: "tensor" },
  codes: Uint32Array.from(codes),
  ...(positions ? { sparse: { positions: Uint32Array.from(positions) } } : {}),
});

describe("zeroth-order entropy", () => {
  it("known values: uniform over 2^k symbols is k bits; one symbol is 0; (½, ¼, ¼) is 1.5", () => {
    expect(codeEntropyBits([qt([0, 1, 2, 3, 4, 5, 6, 7])])).toBe(3);
    expect(codeEntropyBits([qt([5, 5, 5, 5])])).toBe(0);
    expect(codeEntropyBits([qt([0, 0, 1, 2])])).toBeCloseTo(1.5, 14);
    expect(codeEntropyBits([qt([])])).toBeNull();
  });

  it("pools tensors: the histogram of the concatenation", () => {
    expect(codeEntropyBits([qt([0, 0]), qt([1, 1])])).toBe(1);
  });

  it("sparse tensors: every pruned position is one extra symbol, per weight of the dense tensor", () => {
    // 8 weights: 4 pruned, codes [0, 0, 1, 1] → symbols {pruned: 4, 0: 2, 1: 2} → 1.5 bits/weight.
    expect(codeEntropyBits([qt([0, 0, 1, 1], [8], [0, 2, 4, 6])])).toBeCloseTo(1.5, 14);
    expect(Array.from(symbolCounts([qt([0, 0, 1, 1], [8], [0, 2, 4, 6])]))).toEqual([2, 2, 4]);
  });

  it("huge code values use the sorted path and give the same entropy as the dense path", () => {
    const big = [5_000_000, 5_000_000, 7, 4_294_967_295, 7, 7];
    const small = [2, 2, 0, 3, 0, 0];
    expect(codeEntropyBits([qt(big)])).toBe(codeEntropyBits([qt(small)]));
  });

  fcTest.prop([fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 })])("matches −Σ p·log₂ p and lies in [0, log₂(#symbols)]", (codes) => {
    const h = codeEntropyBits([qt(codes)])!;
    const freq = new Map<number, number>();
    for (const c of codes) freq.set(c, (freq.get(c) ?? 0) + 1);
    let ref = 0;
    for (const c of freq.values()) ref -= (c / codes.length) * Math.log2(c / codes.length);
    expect(h).toBeCloseTo(ref, 10);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThanOrEqual(Math.log2(freq.size) + 1e-12);
  });

  it("entropyBits of a histogram ignores empty bins", () => {
    expect(entropyBits(Float64Array.from([0, 3, 0, 3]))).toBe(1);
    expect(entropyBits(new Float64Array(0))).toBeNull();
  });
});
