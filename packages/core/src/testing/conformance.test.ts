import { describe, expect, it } from "vitest";
import { defineEvaluator, type Metric } from "../plugin.js";
import { ShapeMismatchError } from "../errors.js";
import { z } from "zod";
import { describeCoderConformance, describeEvaluatorConformance, describeQuantizerConformance, coarseTestQuantizer, exactTestQuantizer, rawTestCoder } from "./index.js";

// The suites run on the reference fixtures, so the suites themselves are exercised.
describeQuantizerConformance(exactTestQuantizer(), { invalidOptions: [{ bits: 4 }] });
describeQuantizerConformance(coarseTestQuantizer(), { invalidOptions: [{ extra: true }], numRuns: 10 });
describeCoderConformance(rawTestCoder(), { numRuns: 20 });

/** A tiny MSE evaluator to run the evaluator suite on. */
const mseEvaluator = defineEvaluator({
  id: "mse-test",
  version: "0.0.0",
  description: "mse",
  options: z.object({}).strict(),
  create: () => ({
    id: "mse-test",
    scope: "tensor" as const,
    evaluate(s) {
      const out: Metric[] = [];
      s.original.forEach((t, i) => {
        const d = s.decoded[i]!;
        if (d.data.length !== t.data.length || d.shape.length !== t.shape.length) throw new ShapeMismatchError(`decoded "${d.name}" does not match.`);
        let e = 0;
        for (let k = 0; k < t.data.length; k++) e += (t.data[k]! - d.data[k]!) ** 2;
        out.push({ name: "mse", tensor: t.name, value: t.data.length ? e / t.data.length : null, ...(t.data.length ? {} : { reason: "empty" }) });
      });
      return out;
    },
  }),
});
describeEvaluatorConformance(mseEvaluator, { ideal: { mse: 0 } });

describe("conformance fixtures", () => {
  it("skips need a known test id and a reason", () => {
    expect(() => describeCoderConformance(rawTestCoder(), { skip: [{ test: "no-such-test", reason: "x" }] })).toThrow(/unknown test "no-such-test"/);
    expect(() => describeCoderConformance(rawTestCoder(), { skip: [{ test: "garbage", reason: " " }] })).toThrow(/needs a reason/);
  });
});
