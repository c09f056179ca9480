import { test as fcTest, fc } from "@fast-check/vitest";
import type { QuantizedTensor } from "@quantforge/core";
import { codeHistogram } from "@quantforge/core/format";
import { describe, expect, it } from "vitest";
import { codeEntropies, codeEntropyBits, entropyBits, symbolCounts } from "./size-impl.js";

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

  it("counts exactly across blocks that grow the histogram (codes ≥ 256 after 64K smaller ones) and over several tensors", () => {
    // Block 1: codes < 256; block 2 starts with code 300 (growth to 512), then 70000 (growth to
    // 131072) in the tail: every lane position and the undo of a half-counted block are exercised.
    const codes: number[] = [];
    for (let i = 0; i < 65536; i++) codes.push(i % 7);
    codes.push(300, 1, 2, 3, 299, 5);
    for (let i = 0; i < 1000; i++) codes.push((i * 31) % 511);
    codes.push(70000, 3);
    const freq = new Map<number, number>();
    for (const c of [...codes, 0, 0, 5]) freq.set(c, (freq.get(c) ?? 0) + 1);
    const want = [...freq.keys()].sort((a, b) => a - b).map((k) => freq.get(k)!);
    expect(Array.from(symbolCounts([qt(codes), qt([0, 0, 5])]))).toEqual(want);
  });

  it("codeEntropies: each tensor alone and pooled, as codeEntropyBits gives them (dense, sparse and sorted paths)", () => {
    const ts = [qt([0, 0, 1, 3]), qt([0, 0, 1, 1], [8], [0, 2, 4, 6]), qt([9, 9, 9, 2])];
    const e = codeEntropies(ts);
    expect(e.each).toEqual(ts.map((t) => codeEntropyBits([t])));
    expect(e.pooled).toBe(codeEntropyBits(ts));
    const huge = [...ts, qt([5_000_000, 1, 1])];
    expect(codeEntropies(huge).pooled).toBe(codeEntropyBits(huge));
    expect(codeEntropies(huge).each[3]).toBe(codeEntropyBits([huge[3]!]));
    expect(codeEntropies([])).toEqual({ each: [], pooled: null });
  });

  it("codeEntropies takes histograms counted ahead (same values) for exactly the codes arrays they belong to", () => {
    const ts = [qt([0, 0, 1, 3]), qt([0, 0, 1, 1], [8], [0, 2, 4, 6]), qt([9, 9, 9, 2])];
    const known = new Map(ts.map((t) => [t.codes, codeHistogram([t.codes], 1 << 20)!]));
    expect(codeEntropies(ts, known)).toEqual(codeEntropies(ts));
    // A histogram is taken as given: a wrong one (here another tensor's) shows in the result.
    const swapped = new Map([[ts[0]!.codes, known.get(ts[2]!.codes)!]]);
    expect(codeEntropies(ts, swapped).each[0]).toBe(codeEntropies([ts[2]!]).each[0]);
  });

  it("entropyBits of a histogram ignores empty bins", () => {
    expect(entropyBits(Float64Array.from([0, 3, 0, 3]))).toBe(1);
    expect(entropyBits(new Float64Array(0))).toBeNull();
  });
});
