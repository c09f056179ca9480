import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseCostPlan, forwardUnitsPerSample, PLAN_LADDER, planSeconds, type CostShape } from "./cost-model-impl.js";

/** emotion.json's shape facts: 64×64×1 input, 205,129 parameters, 13 quantized kernels, 65 candidates (7 costly). */
const conv = (n: number) => ({ size: n, rank: 4 });
const shape = (selected: number[], extra: { size: number; rank: number }[] = []): CostShape => ({
  modelTensors: [...selected.map(conv), ...extra],
  inputShape: [64, 64, 1],
  selected,
  costly: Array.from({ length: 65 }, (_, i) => i >= 51 && i < 58),
  extraPasses: 10,
});

describe("cost model", () => {
  it("counts conv kernels at the input's spatial size and other tensors once", () => {
    expect(
      forwardUnitsPerSample({
        modelTensors: [
          { size: 10, rank: 4 },
          { size: 7, rank: 1 },
        ],
        inputShape: [64, 64, 1],
      }),
    ).toBe(10 * 4096 + 7);
    // NCHW: the smallest dim is taken as the channels.
    expect(forwardUnitsPerSample({ modelTensors: [{ size: 10, rank: 4 }], inputShape: [3, 32, 32] })).toBe(10 * 1024);
    expect(
      forwardUnitsPerSample({
        modelTensors: [
          { size: 10, rank: 2 },
          { size: 5, rank: 3 },
        ],
      }),
    ).toBe(15);
  });
  it("picks the largest plan of the ladder that fits, and the smallest (fits false) when none does", () => {
    const s = shape([288, 18432, 8192, 32768, 65536, 65536, 1152, 2304, 576, 1152, 2304, 16128, 2304]);
    const p = chooseCostPlan(s, 25);
    expect(p.fits).toBe(true);
    expect(p.seconds).toBeLessThanOrEqual(25);
    const i = PLAN_LADDER.findIndex(([n, k]) => n === p.samples && (k === p.measured || (k === 0 && p.measured === 65)));
    expect(i).toBeGreaterThanOrEqual(0);
    for (const [n, k] of PLAN_LADDER.slice(0, i)) expect(planSeconds(s, n, k)).toBeGreaterThan(25);
    const tiny = chooseCostPlan(s, 0.001);
    expect(tiny).toMatchObject({ samples: 8, measured: 1, fits: false });
  });
  it("buys all candidates at 256 samples for a small model, and honours fixed samples", () => {
    const s: CostShape = { modelTensors: [{ size: 500, rank: 2 }], selected: [500], costly: [false, false, true], extraPasses: 4 };
    expect(chooseCostPlan(s, 25)).toMatchObject({ samples: 256, measured: 3, fits: true });
    expect(chooseCostPlan(shape([65536, 65536]), 25, 16).samples).toBe(16);
  });
  it("more budget never buys less work (samples × measured forward passes)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.double({ min: 1, max: 10, noNaN: true }), (sel, b, f) => {
        const s = shape(sel);
        const a = chooseCostPlan(s, b),
          c = chooseCostPlan(s, b * f);
        expect(planSeconds(s, c.samples, c.measured)).toBeGreaterThanOrEqual(planSeconds(s, a.samples, a.measured));
        // Deterministic: a function of the shapes and the budget only.
        expect(chooseCostPlan(s, b)).toEqual(a);
      }),
    );
  });
});
