import { describe, expect, it } from "vitest";
import { countMacs, type MacNode } from "./macs.js";

const node = (op: MacNode["op"], o: Partial<MacNode> = {}): MacNode => ({ op, out: "y", a: "x", b: "w", transA: false, transB: false, ...o });
const shapes = (m: Record<string, number[]>) => (n: string) => m[n];

describe("countMacs", () => {
  it("Conv: output size × Π W[1:] (grouped and depthwise weights carry C_in/group)", () => {
    expect(countMacs([node("Conv")], shapes({ y: [1, 16, 8, 8], x: [1, 3, 8, 8], w: [16, 3, 3, 3] }))).toBe(1024 * 27);
    // Depthwise: group 16, W [16, 1, 3, 3].
    expect(countMacs([node("Conv")], shapes({ y: [1, 16, 4, 4], w: [16, 1, 3, 3] }))).toBe(256 * 9);
    expect(countMacs([node("Conv")], shapes({ y: [1, 4, 10], w: [4, 2, 5] }))).toBe(40 * 10);
  });
  it("ConvTranspose: input size × Π W[1:]", () => {
    expect(countMacs([node("ConvTranspose")], shapes({ y: [1, 2, 8, 8], x: [1, 8, 4, 4], w: [8, 2, 3, 3] }))).toBe(128 * 18);
  });
  it("MatMul: output size × K from A (else B); Gemm by its transposes", () => {
    expect(countMacs([node("MatMul")], shapes({ y: [2, 3, 4], x: [2, 3, 7], w: [7, 4] }))).toBe(24 * 7);
    expect(countMacs([node("MatMul")], shapes({ y: [3, 4], w: [7, 4] }))).toBe(12 * 7);
    expect(countMacs([node("Gemm", { transB: true })], shapes({ y: [5, 4], x: [5, 75], w: [4, 75] }))).toBe(20 * 75);
    expect(countMacs([node("Gemm", { transA: true })], shapes({ y: [5, 4], x: [75, 5] }))).toBe(20 * 75);
    expect(countMacs([node("Gemm", { transB: true })], shapes({ y: [5, 4], w: [4, 75] }))).toBe(20 * 75);
  });
  it("a node whose shapes are unknown counts 0; nodes add up", () => {
    expect(countMacs([node("Conv")], shapes({ w: [16, 3, 3, 3] }))).toBe(0);
    expect(countMacs([node("Conv"), node("MatMul", { out: "z", a: "y", b: "v" })], shapes({ y: [1, 2, 2, 2], w: [2, 1, 1, 1], z: [1, 2, 2, 3], v: [2, 3] }))).toBe(8 + 12 * 2);
  });
});
