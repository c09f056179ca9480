import { defineEvaluator, defineQuantizer, perTensorQuantizer, z, type AnyPlugin } from "@quantforge/core";
import { coarseTestQuantizer, rawTestCoder } from "@quantforge/core/testing";

/** A quantizer whose `quantize` hits a bug (a plain TypeError), for the QF_INTERNAL path. */
export function buggyQuantizer(): AnyPlugin {
  return defineQuantizer({
    id: "buggy",
    version: "0.0.0",
    description: "throws a TypeError (tests only)",
    options: z.strictObject({ bits: z.number().int().min(1).max(8).default(4) }),
    create: () =>
      perTensorQuantizer("buggy", () => {
        throw new TypeError("cannot read properties of undefined (reading 'x')");
      }),
  });
}

/** An evaluator reporting the number of quantized tensors (a model-wide metric). */
export function countEvaluator(id = "sqnr"): AnyPlugin {
  return defineEvaluator({
    id,
    version: "0.0.0",
    description: "counts quantized tensors (tests only)",
    options: z.strictObject({}),
    create: () => ({ id, scope: "tensor", evaluate: (s) => [{ name: "quantizedTensors", value: s.quantizedNames.size }] }),
  });
}

/** A small plugin set without the real plugins: coarse quantizer, raw coder, dummy evaluators. */
export function mockPlugins(): AnyPlugin[] {
  return [coarseTestQuantizer(), buggyQuantizer(), rawTestCoder(), countEvaluator("sqnr"), countEvaluator("size")];
}
