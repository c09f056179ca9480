import { describe, expect, it } from "vitest";
import { assertSomethingToQuantize, tallySelection, defaultSelector } from "./selection.js";

describe("assertSomethingToQuantize", () => {
  const scale = { name: "w_scale", shape: [], data: Float32Array.of(0.02), role: "other" as const };
  const bias = { name: "b", shape: [2], data: Float32Array.of(1, 2), role: "bias" as const };

  it("a model with only float scales and biases (its kernels stored as integers) is told to quantize its float original", () => {
    const tally = tallySelection([scale, bias], defaultSelector);
    expect(tally).toEqual({ total: 2, selected: 0, kernels: 0 });
    expect(() => assertSomethingToQuantize(tally)).toThrow(
      /none of the 2 float tensors is a weight kernel.*kernels stored as integers, as in an already-quantized model, are not float tensors and are not read\)\. Quantize the float model such a model was made from, or pass --all-tensors to quantize these 2 tensors/,
    );
  });

  it("allowEmpty and a non-empty selection pass", () => {
    expect(() => assertSomethingToQuantize({ total: 2, selected: 0, kernels: 0 }, { allowEmpty: true })).not.toThrow();
    expect(() => assertSomethingToQuantize({ total: 2, selected: 1, kernels: 0 })).not.toThrow();
  });
});
