import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchDimName, fromBatchAxis, inputBatchAxes, outputBatchAxes, toBatchAxis, withBatch } from "./batch-axis.js";
import { resolveInputLayout, splitSamples, type ModelInputFeed } from "./model-inputs.js";
import { runInBatches } from "./batches.js";

describe("inputBatchAxes", () => {
  it("the dimension named like the batch, wherever it is (silero VAD's state [2, batch, 64])", () => {
    const silero = [
      { name: "input", shape: [null, null], dimNames: ["batch", "sequence"] },
      { name: "sr", shape: [] },
      { name: "h", shape: [2, null, 64], dimNames: [null, "batch", null] },
    ];
    expect(batchDimName(silero)).toBe("batch");
    expect(inputBatchAxes(silero)).toEqual([0, -1, 1]);
    expect(
      outputBatchAxes(silero, [
        { name: "hn", shape: [2, null, 64], dimNames: [null, "batch", null] },
        { name: "y", shape: [null, 1] },
        { name: "k", shape: [3] },
      ]),
    ).toEqual(
      new Map([
        ["hn", 1],
        ["y", 0],
      ]),
    );
  });
  it("a name shared by the inputs' unknown dims, else the only unknown dim when another input takes any batch, else axis 0", () => {
    expect(
      inputBatchAxes([
        { name: "a", shape: [null, 4], dimNames: ["s", null] },
        { name: "b", shape: [3, null], dimNames: [null, "s"] },
      ]),
    ).toEqual([0, 1]);
    expect(
      inputBatchAxes([
        { name: "a", shape: [null, 4] },
        { name: "h", shape: [2, null, 8] },
      ]),
    ).toEqual([0, 1]);
    // Alone, [2, ?, 8] is a fixed batch of 2 with an unknown dim: that needs --input-shape, not a guess.
    expect(inputBatchAxes([{ name: "h", shape: [2, null, 8] }])).toEqual([0]);
    expect(
      inputBatchAxes([
        { name: "u", shape: null },
        { name: "s", shape: [] },
      ]),
    ).toEqual([0, -1]);
  });
});

describe("toBatchAxis / fromBatchAxis", () => {
  it("are inverse, and put sample k at index k of the batch axis", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4 }), fc.nat(), (shape, count, ax) => {
        const a = ax % (shape.length + 1);
        const per = shape.reduce((x, y) => x * y, 1);
        const src = Float32Array.from({ length: count * per }, (_, i) => i);
        const t = toBatchAxis(src, (n) => new Float32Array(n), count, shape, a);
        expect(fromBatchAxis(t, count, shape, a)).toEqual(src);
        // The element at full index (…, k, …) of the moved tensor is sample k's element.
        const full = withBatch(shape, count, a);
        const strides = full.map((_, i) => full.slice(i + 1).reduce((x, y) => x * y, 1));
        const k = count - 1;
        const idx = full.map((d, i) => (i === a ? k : d - 1));
        expect(t[idx.reduce((s, v, i) => s + v * strides[i]!, 0)]).toBe(src[(k + 1) * per - 1]);
      }),
    );
  });
});

describe("runInBatches with a batch axis that is not first", () => {
  // A model computing hn = h + x (x [N, 3], h [2, N, 3]) and y = Σ x per sample, feeds checked.
  const run = async (f: ModelInputFeed[]) => {
    const [x, h] = [f[0]!, f[1]!];
    const n = x.shape[0]!;
    expect(h.shape).toEqual([2, n, 3]);
    const hn = new Float32Array(2 * n * 3),
      y = new Float32Array(n);
    for (let l = 0; l < 2; l++) for (let k = 0; k < n; k++) for (let j = 0; j < 3; j++) hn[(l * n + k) * 3 + j] = Number(h.data[(l * n + k) * 3 + j]) + Number(x.data[k * 3 + j]);
    for (let k = 0; k < n; k++) for (let j = 0; j < 3; j++) y[k] = y[k]! + Number(x.data[k * 3 + j]);
    return [
      { name: "hn", shape: [2, n, 3], data: hn },
      { name: "y", shape: [n], data: y },
    ];
  };
  const decls = [
    { name: "x", shape: [null, 3], dtype: "float32" as const },
    { name: "h", shape: [2, null, 3], dtype: "float32" as const, dimNames: [null, "batch", null] },
  ];
  const layout = resolveInputLayout("m", decls, { outputs: [{ name: "hn", shape: [2, null, 3], dimNames: [null, "batch", null] }] });
  const count = 5;
  const flat = Float32Array.from({ length: count * layout.sampleSize }, (_, i) => (i * 7) % 11);
  it("slots know the axis; any batch size gives the same per-sample outputs, sample-major", async () => {
    expect(layout.inputs.map((s) => [s.sampleShape, s.batchAxis ?? 0])).toEqual([
      [[3], 0],
      [[2, 3], 1],
    ]);
    expect(splitSamples(layout, flat, count)[1]!.shape).toEqual([2, count, 3]);
    const all = await runInBatches(layout, flat, count, 100, run);
    for (const b of [1, 2, 3]) expect(await runInBatches(layout, flat, count, b, run)).toEqual(all);
    expect(all[0]!.shape).toEqual([2, 3]);
    // Sample k's hn is its own h + x (h follows x inside the flat sample).
    for (let k = 0; k < count; k++) {
      const s = flat.subarray(k * 9, (k + 1) * 9);
      expect([...all[0]!.data.subarray(k * 6, (k + 1) * 6)]).toEqual([...s.subarray(3, 9)].map((v, i) => v + s[i % 3]!));
    }
  });
  it("--input-shape names every dimension but the batch one", () => {
    const l = resolveInputLayout("m", [{ name: "h", shape: [null, null, 64], dtype: "float32", dimNames: ["layers", "batch", null] }], { inputShapes: new Map([["h", [2, 64]]]) });
    expect([l.inputs[0]!.sampleShape, l.inputs[0]!.batchAxis]).toEqual([[2, 64], 1]);
  });
});
