import { describe, expect, it } from "vitest";
import { outputsDiff, tfjsReduction } from "./reload-tolerance.js";

const out = (name: string, values: number[]) => ({ name, shape: [values.length], data: Float32Array.from(values) });

describe("outputsDiff", () => {
  it("is max |Δ| over max |reference| per output, the worst output deciding", () => {
    const d = outputsDiff([out("a", [1, 2.002]), out("b", [-4, 0])], [out("a", [1, 2]), out("b", [-4, 0.004])], 1e-3);
    expect(d.abs).toBeCloseTo(0.004, 6);
    expect(d.rel).toBeCloseTo(0.004 / 4, 6);
    expect(d.pinned).toEqual([]);
    expect(outputsDiff([out("a", [1, NaN])], [out("a", [1, 2])], 1e-3).rel).toBe(Infinity);
  });

  it("holds a [0, 1] map pinned near 0 to the logistic's slope plus its 2⁻²² resolution, not to its tiny values", () => {
    const ref = out("sigmoid", [0, 1.1920928955078125e-7, 4.76837158203125e-7, 0]);
    // One resolution step (as onnxruntime's maps differ between kernels): within the bound.
    const step = outputsDiff([out("sigmoid", [1.1920928955078125e-7, 1.1920928955078125e-7, 4.76837158203125e-7, 0])], [ref], 4e-3);
    expect(step.pinned).toEqual(["sigmoid"]);
    expect(step.rel).toBeLessThanOrEqual(4e-3);
    // Twenty steps (a weight that really differs moves the map by 2e-6 on the PP-OCRv4 detector): beyond it.
    const moved = outputsDiff([out("sigmoid", [0, 1.1920928955078125e-7, 4.76837158203125e-7 + 20 * 1.1920928955078125e-7, 0])], [ref], 4e-3);
    expect(moved.rel).toBeGreaterThan(4e-3);
  });
});

describe("tfjsReduction", () => {
  it("reads K = size / output-channel dim from dense, conv and depthwise kernels; counts them as the depth", () => {
    const entries = [{ spec: { name: "d/kernel", shape: [128, 10] } }, { spec: { name: "c/kernel", shape: [3, 3, 16, 32] } }, { spec: { name: "dw/kernel", shape: [3, 3, 64, 1] } }, { spec: { name: "c/bias", shape: [32] } }];
    const tags = new Map<string, { role: string; layerKind?: string; outputAxis?: number }>([
      ["d/kernel", { role: "weight", layerKind: "dense", outputAxis: -1 }],
      ["c/kernel", { role: "weight", layerKind: "conv2d", outputAxis: -1 }],
      ["dw/kernel", { role: "weight", layerKind: "conv2d", outputAxis: -2 }],
      ["c/bias", { role: "bias" }],
    ]);
    expect(tfjsReduction({ entries, tags })).toEqual({ reduction: 144, depth: 3 });
    expect(tfjsReduction({ entries: [], tags: new Map() })).toEqual({ reduction: 1, depth: 1 });
  });
});
