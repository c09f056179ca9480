import { describe, expect, it } from "vitest";
import { encodeFloatTensor, onnxFloatTensors, substituteOnnxWeights } from "./onnx-wire.js";

// Tiny hand-built protobuf messages: field key = (no << 3) | wire type.
function ld(no: number, body: Uint8Array | number[] | string): number[] {
  const bytes = typeof body === "string" ? [...new TextEncoder().encode(body)] : [...body];
  return [(no << 3) | 2, bytes.length, ...bytes];
}

function model(): Uint8Array {
  const init = encodeFloatTensor("W", [2, 2], 1, Float32Array.from([1, 2, 3, 4]));
  const constTensor = encodeFloatTensor("", [3], 1, Float32Array.from([5, 6, 7]));
  const constNode = [...ld(2, "c_out"), ...ld(4, "Constant"), ...ld(5, [...ld(1, "value"), ...ld(5, constTensor)])];
  const subInit = encodeFloatTensor("S", [2], 1, Float32Array.from([8, 9]));
  const subgraph = ld(5, subInit);
  const ifNode = [...ld(2, "if_out"), ...ld(4, "If"), ...ld(5, [...ld(1, "then_branch"), ...ld(6, subgraph)])];
  const graph = [...ld(1, constNode), ...ld(1, ifNode), ...ld(5, init)];
  return new Uint8Array([0x08, 7, ...ld(7, graph)]);
}

describe("onnx wire walker", () => {
  it("finds initializers, Constant values and subgraph initializers", () => {
    const found = onnxFloatTensors(model());
    expect(found.map((t) => [t.name, t.where, t.depth, t.dims])).toEqual([
      ["c_out", "constant", 0, [3]],
      // Subgraph tensors are named by scope, as quantforge's reader names them (<node label>/<attribute>/<name>).
      ["if_out/then_branch/S", "initializer", 1, [2]],
      ["W", "initializer", 0, [2, 2]],
    ]);
  });
  it("substitutes chosen tensors and keeps the rest byte for byte", () => {
    const m = model();
    const { bytes, replaced } = substituteOnnxWeights(m, new Map([["if_out/then_branch/S", Float32Array.from([0.5, 0.25])]]));
    expect([...replaced]).toEqual(["if_out/then_branch/S"]);
    expect(bytes.length).toBe(m.length);
    expect(bytes).not.toEqual(m);
    const back = substituteOnnxWeights(bytes, new Map([["if_out/then_branch/S", Float32Array.from([8, 9])]]));
    expect(back.bytes).toEqual(m);
    expect(() => substituteOnnxWeights(m, new Map([["W", Float32Array.from([1])]]))).toThrow(/1 decoded values for a tensor of 4/);
  });
});
