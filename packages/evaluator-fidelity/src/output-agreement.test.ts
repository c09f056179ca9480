import { describe, expect, it } from "vitest";
import { meanKlDivergence, storedSoftmaxRows } from "@quantforge/metrics";
import { outputAgreement } from "./output-agreement.js";

const out = (shape: number[], values: number[]) => ({ name: "y", shape, data: Float32Array.from(values) });

describe("outputAgreement", () => {
  it("identical outputs agree exactly", () => {
    const y = out([2, 3], [1, -2, 0.5, 3, 0, -1]);
    expect(outputAgreement(y, y)).toEqual({ name: "y", shape: [2, 3], relativeError: 0, maxAbsError: 0, kl: 0, top1Agreement: 1 });
  });

  it("logit rows are softmaxed, distribution rows taken as they are; relative and max errors over every value", () => {
    const ref = out([2, 2], [2, 0, 0, 2]);
    const got = out([2, 2], [1, 1.5, 0, 2]);
    const a = outputAgreement(ref, got);
    expect(a.maxAbsError).toBe(1.5);
    expect(a.relativeError).toBeCloseTo(Math.sqrt((1 + 2.25) / 8), 6);
    expect(a.top1Agreement).toBe(0.5);
    expect(a.kl).toBe(meanKlDivergence(storedSoftmaxRows(ref.data, 2, 2), storedSoftmaxRows(got.data, 2, 2), 2, 2, 1e-12));
    const p = out([1, 2], [0.25, 0.75]),
      q = out([1, 2], [0.5, 0.5]);
    expect(outputAgreement(p, q).kl).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 6);
  });

  it("outputs that are not [samples, classes] have no KL or top-1; a zero float output has no relative error unless unchanged", () => {
    expect(outputAgreement(out([4], [1, 2, 3, 4]), out([4], [1, 2, 3, 5]))).toEqual({ name: "y", shape: [4], relativeError: Math.sqrt(1 / 30), maxAbsError: 1 });
    expect(outputAgreement(out([2], [0, 0]), out([2], [0, 1])).relativeError).toBeNull();
    expect(outputAgreement(out([2], [1, 0]), out([2], [Number.NaN, 0])).relativeError).toBe(Infinity);
  });
});
