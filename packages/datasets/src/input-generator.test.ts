import { ErrorCodes } from "@quantforge/core";
import { describe, expect, it } from "vitest";
import { MAX_GENERATED_VALUES, generateSamples, parseInputRanges } from "./input-generator.js";
import { resolveInputLayout, splitSamples } from "./model-inputs.js";
import { MAX_BATCH_INPUT_VALUES, batchSamples, runInBatches } from "./batches.js";

const image = resolveInputLayout("m", [{ name: "x", shape: [null, 4, 4, 3], dtype: "float32" }]);

describe("generateSamples", () => {
  it("floats in [0, 1) by default, deterministic in the seed", () => {
    const a = generateSamples(image, 2, 7),
      b = generateSamples(image, 2, 7),
      c = generateSamples(image, 2, 8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
  });
  it("--input-range per input overrides; integers pick declared values", () => {
    const l = resolveInputLayout("m", [
      { name: "x", shape: [null, 5], dtype: "float32" },
      { name: "sr", shape: [], dtype: "int64", values: [8000, 16000] },
    ]);
    const v = generateSamples(l, 3, 1, parseInputRanges(["x=-2,-1"]));
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 5; i++) {
        expect(v[k * 6 + i]).toBeGreaterThanOrEqual(-2);
        expect(v[k * 6 + i]).toBeLessThan(-1);
      }
      expect([8000, 16000]).toContain(v[k * 6 + 5]);
    }
  });
  it("a huge declared input is a typed error naming the input and the cap, before allocating", () => {
    const l = resolveInputLayout("m", [{ name: "big", shape: [null, 2e8], dtype: "float32" }]);
    expect(() => generateSamples(l, 8, 0)).toThrow(expect.objectContaining({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(new RegExp(`"big".*${MAX_GENERATED_VALUES}`)) }));
  });
  it("malformed --input-range is QF_USAGE", () => {
    for (const bad of ["1", "2,1", "a,b", "x=", "0,1,2"]) expect(() => parseInputRanges([bad])).toThrow(expect.objectContaining({ code: "QF_USAGE" }));
  });
});

describe("runInBatches", () => {
  it("large samples run in batches whose inputs hold at most 2^20 values (never fewer than 8 samples), with the outputs of one sample per run", async () => {
    const calls: number[] = [];
    const sum = async (f: { shape: readonly number[]; data: ArrayLike<number | bigint> }[]) => {
      const n = f[0]!.shape[0]!,
        per = f[0]!.data.length / n;
      calls.push(n);
      const y = new Float32Array(n);
      for (let k = 0; k < n; k++) for (let j = 0; j < per; j += 997) y[k] = y[k]! + Number(f[0]!.data[k * per + j]);
      return [{ name: "y", shape: [n, 1], data: y }];
    };
    for (const [side, per] of [
      [256, 16], // 2^16 values per sample: 16 per run
      [512, 8], // 2^18: the cap would be 4, the floor keeps 8
      [16, 256], // 2^8: maxBatch (256) binds
    ] as const) {
      const l = resolveInputLayout("m", [{ name: "x", shape: [null, side, side], dtype: "float32" }]);
      expect(batchSamples(l.sampleSize, 256)).toBe(per);
      const count = 40;
      const flat = generateSamples(l, count, 3);
      calls.length = 0;
      const out = await runInBatches(l, flat, count, 256, sum);
      const want = Array.from({ length: Math.ceil(count / per) }, (_, i) => Math.min(per, count - i * per));
      expect(calls).toEqual(want);
      expect(calls.every((n) => n * l.sampleSize <= MAX_BATCH_INPUT_VALUES || n === 8)).toBe(true);
      expect(out).toEqual(await runInBatches(l, flat, count, 1, sum));
    }
    expect(batchSamples(1, 3.7)).toBe(3);
  });
  it("a fixed batch of 1 runs one sample per call and concatenates", async () => {
    const l = resolveInputLayout("m", [{ name: "x", shape: [1, 2], dtype: "float32" }]);
    const calls: number[] = [];
    const out = await runInBatches(l, Float32Array.of(1, 2, 3, 4, 5, 6), 3, 8, async (f) => {
      calls.push(f[0]!.shape[0]!);
      const d = f[0]!.data as Float32Array;
      return [{ name: "y", shape: [1, 1], data: Float32Array.of(d[0]! + d[1]!) }];
    });
    expect(calls).toEqual([1, 1, 1]);
    expect([...out[0]!.data]).toEqual([3, 7, 11]);
  });
  it("a rank-0 input is fed as a scalar, one sample per run; non-batch-first outputs are taken whole", async () => {
    const l = resolveInputLayout("m", [
      { name: "x", shape: [null, 1], dtype: "float32" },
      { name: "sr", shape: [], dtype: "int64" },
    ]);
    const shapes: number[][] = [];
    const out = await runInBatches(l, Float32Array.of(1, 5, 2, 6), 2, 8, async (f) => {
      shapes.push([...f[1]!.shape]);
      return [{ name: "state", shape: [2, 1], data: Float32Array.of(Number((f[1]!.data as BigInt64Array)[0]), 0) }];
    });
    expect(shapes.every((x) => x.length === 0)).toBe(true);
    expect(out[0]!.shape).toEqual([2, 1]);
    expect([...out[0]!.data]).toEqual([5, 0, 6, 0]);
  });
  it("an output whose size a rank-0 input sets (a resize ratio) is a shape error giving both shapes and naming that input", async () => {
    const l = resolveInputLayout("m", [
      { name: "src", shape: [null, 8], dtype: "float32" },
      { name: "downsample_ratio", shape: [], dtype: "float32" },
    ]);
    // Two samples with ratios 0.5 and 0.25: one run each, outputs of 4 then 2 values.
    const run = runInBatches(l, Float32Array.of(...new Array<number>(8).fill(1), 0.5, ...new Array<number>(8).fill(1), 0.25), 2, 8, async (f) => {
      const n = Math.round(8 * (f[1]!.data as Float32Array)[0]!);
      return [{ name: "fgr", shape: [1, n], data: new Float32Array(n) }];
    });
    await expect(run).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
    await expect(run).rejects.toThrow(
      'model output "fgr" changed shape between batches ([1, 4] in the first batch, then [1, 2]); quantforge compares outputs of a fixed per-sample shape. A rank-0 input may set its size ("downsample_ratio")',
    );
  });
});

describe("scalar defaults and bool inputs", () => {
  it("a scalar with declared values takes the first one in every sample, so samples share batches", async () => {
    const l = resolveInputLayout("m", [
      { name: "x", shape: [null, 2], dtype: "float32" },
      { name: "sr", shape: [], dtype: "int64", values: [8000, 16000] },
    ]);
    const v = generateSamples(l, 4, 3);
    expect([v[2], v[5], v[8], v[11]]).toEqual([8000, 8000, 8000, 8000]);
    const calls: number[] = [];
    await runInBatches(l, v, 4, 8, async (f) => {
      calls.push(f[0]!.shape[0]!);
      expect(f[1]!.data).toEqual(BigInt64Array.of(8000n));
      return [{ name: "y", shape: [f[0]!.shape[0]!], data: new Float32Array(f[0]!.shape[0]!) }];
    });
    expect(calls).toEqual([4]);
  });
  it("bool inputs are seeded 0/1 and fed as a Uint8Array", () => {
    const l = resolveInputLayout("m", [{ name: "m", shape: [null, 64], dtype: "bool" }]);
    const v = generateSamples(l, 2, 5);
    expect(new Set(v)).toEqual(new Set([0, 1]));
    const f = splitSamples(l, v, 2)[0]!;
    expect(f.data).toBeInstanceOf(Uint8Array);
    expect([...f.data]).toEqual([...v]);
  });
});
