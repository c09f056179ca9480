import { describe, expect, it } from "vitest";
import type { ModelProbe } from "../capabilities.js";
import { forwardUnitsPerSample, modelForwardShape, passSeconds, SECONDS_PER_FORWARD_UNIT, SECONDS_PER_MAC, SECONDS_PER_PASS_PARAM } from "./forward-cost.js";

const conv = {
  modelTensors: [
    { size: 3 * 3 * 8 * 16, rank: 4 },
    { size: 16, rank: 1 },
  ],
  inputShape: [32, 32, 8],
};

describe("forward cost", () => {
  it("without a MAC count: parameters plus size × input positions per sample", () => {
    expect(forwardUnitsPerSample(conv)).toBe(1152 * 1024 + 16);
    expect(passSeconds(conv, 10)).toBeCloseTo(SECONDS_PER_PASS_PARAM * 1168 + SECONDS_PER_FORWARD_UNIT * (1152 * 1024 + 16) * 10, 15);
  });
  it("with one: the larger per-sample estimate (a model that never downsamples is not underestimated; one that does keeps its plan)", () => {
    const many = 1e3 * forwardUnitsPerSample(conv);
    expect(passSeconds({ ...conv, macsPerSample: many }, 10)).toBeCloseTo(SECONDS_PER_PASS_PARAM * 1168 + SECONDS_PER_MAC * many * 10, 12);
    expect(passSeconds({ ...conv, macsPerSample: 5 }, 10)).toBe(passSeconds(conv, 10));
    expect(passSeconds({ ...conv, macsPerSample: 0 }, 10)).toBe(passSeconds(conv, 10));
  });
  it("modelForwardShape reads the model's MAC count once it resolves, and plans from sizes when it has none or fails", async () => {
    const weights = [{ name: "k", shape: [3, 3, 8, 16], data: new Float32Array(1152) }];
    const probe = (macs?: () => Promise<number>): ModelProbe => ({ id: "m", weights, inputShape: [32, 32, 8], forward: { predict: () => Promise.resolve(new Float32Array(0)), ...(macs ? { macsPerSample: macs } : {}) } });
    expect(await modelForwardShape(probe(() => Promise.resolve(7e6)))).toEqual({ modelTensors: [{ size: 1152, rank: 4 }], inputShape: [32, 32, 8], macsPerSample: 7e6 });
    const plain = { modelTensors: [{ size: 1152, rank: 4 }], inputShape: [32, 32, 8] };
    expect(await modelForwardShape(probe())).toEqual(plain);
    expect(await modelForwardShape(probe(() => Promise.reject(new Error("no profile"))))).toEqual(plain);
    expect(await modelForwardShape(probe(() => Promise.resolve(Number.NaN)))).toEqual(plain);
  });
});
