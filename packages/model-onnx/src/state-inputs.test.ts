import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStateOnnxModel, put, scratch } from "@quantforge/io-onnx/testing";
import { generateSamples } from "@quantforge/datasets";
import { loadOnnxModelProbe, type OnnxModelProbe } from "./onnx-probe.js";

let s: Awaited<ReturnType<typeof scratch>>;
let probes: OnnxModelProbe[] = [];
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  for (const p of probes) await p.dispose();
  await s.cleanup();
});

describe("ONNX inputs whose batch is not first, and bool inputs (onnxruntime)", () => {
  it("feeds h [2, N, 3] with the batch on axis 1 and m as bool; any batch size gives the same per-sample outputs", async () => {
    const path = await put(s.dir, "state.onnx", buildStateOnnxModel());
    const big = await loadOnnxModelProbe(path, { batchSize: 64 });
    const small = await loadOnnxModelProbe(path, { batchSize: 2 });
    probes = [big, small];
    expect(big.layout.inputs.map((x) => [x.name, x.dtype, x.sampleShape, x.batchAxis ?? 0])).toEqual([
      ["x", "float32", [3], 0],
      ["h", "float32", [2, 3], 1],
      ["m", "bool", [3], 0],
    ]);
    const count = 5;
    const inputs = generateSamples(big.layout, count, 9);
    const a = await big.forward.predictOutputs(big.weights, inputs, count);
    expect(await small.forward.predictOutputs(small.weights, inputs, count)).toEqual(a);
    const [y, hn] = a;
    expect([y!.shape, hn!.shape]).toEqual([[3], [2, 3]]);
    const w = [0.5, -1.25, 2];
    for (let k = 0; k < count; k++) {
      const smp = inputs.subarray(k * 12, (k + 1) * 12); // x (3), h (6), m (3)
      for (let j = 0; j < 3; j++) expect(y!.data[k * 3 + j]).toBeCloseTo(smp[j]! * w[j]! * smp[9 + j]!, 6);
      for (let i = 0; i < 6; i++) expect(hn!.data[k * 6 + i]).toBeCloseTo(smp[3 + i]! + smp[i % 3]!, 6);
    }
  });
});
