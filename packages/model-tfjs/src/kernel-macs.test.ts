import { describe, expect, it } from "vitest";
import { kernelMacs, type KernelShapes } from "./kernel-macs.js";

const k = (name: string, inputShapes: number[][], outputShapes: number[][]): KernelShapes => ({ name, inputShapes, outputShapes });

describe("kernelMacs", () => {
  it("a convolution: output size × kh·kw·inC (fused or not); depthwise: × kh·kw", () => {
    // [1,8,8,3] * [3,3,3,16] → [1,8,8,16]: 1024 outputs of 27 products each.
    expect(
      kernelMacs([
        k(
          "Conv2D",
          [
            [1, 8, 8, 3],
            [3, 3, 3, 16],
          ],
          [[1, 8, 8, 16]],
        ),
      ]),
    ).toBe(1024 * 27);
    expect(kernelMacs([k("FusedConv2D", [[1, 8, 8, 3], [3, 3, 3, 16], [16]], [[1, 8, 8, 16]])])).toBe(1024 * 27);
    expect(
      kernelMacs([
        k(
          "DepthwiseConv2dNative",
          [
            [1, 8, 8, 16],
            [3, 3, 16, 1],
          ],
          [[1, 4, 4, 16]],
        ),
      ]),
    ).toBe(256 * 9);
    expect(
      kernelMacs([
        k(
          "FusedDepthwiseConv2D",
          [
            [1, 8, 8, 16],
            [5, 5, 16, 2],
          ],
          [[1, 8, 8, 32]],
        ),
      ]),
    ).toBe(2048 * 25);
    expect(
      kernelMacs([
        k(
          "Conv3D",
          [
            [1, 4, 4, 4, 2],
            [2, 2, 2, 2, 3],
          ],
          [[1, 3, 3, 3, 3]],
        ),
      ]),
    ).toBe(81 * 16);
  });
  it("a transposed convolution spreads every input-gradient element over kh·kw·inC outputs", () => {
    // dy [1,4,4,8], filter [3,3,2,8] (inC 2 of the output x, outC 8 of dy) → x [1,8,8,2].
    expect(
      kernelMacs([
        k(
          "Conv2DBackpropInput",
          [
            [1, 4, 4, 8],
            [3, 3, 2, 8],
          ],
          [[1, 8, 8, 2]],
        ),
      ]),
    ).toBe(128 * 18);
  });
  it("a matrix product: output size × the inner dimension, whichever operand is broadcast or transposed", () => {
    expect(kernelMacs([k("_FusedMatMul", [[5, 64], [64, 10], [10]], [[5, 10]])])).toBe(50 * 64);
    expect(
      kernelMacs([
        k(
          "BatchMatMul",
          [
            [2, 3, 7],
            [2, 7, 4],
          ],
          [[2, 3, 4]],
        ),
      ]),
    ).toBe(24 * 7);
    // transposeB: b is [N, K].
    expect(
      kernelMacs([
        k(
          "BatchMatMul",
          [
            [3, 7],
            [4, 7],
          ],
          [[3, 4]],
        ),
      ]),
    ).toBe(12 * 7);
    // a broadcast over a batch of 6: K comes from b.
    expect(
      kernelMacs([
        k(
          "BatchMatMul",
          [
            [3, 7],
            [6, 7, 4],
          ],
          [[6, 3, 4]],
        ),
      ]),
    ).toBe(72 * 7);
  });
  it("every other kernel: one per output element; kernels add up", () => {
    expect(kernelMacs([k("Relu", [[1, 8, 8, 16]], [[1, 8, 8, 16]]), k("Add", [[4], [4]], [[4]]), k("Reshape", [[2, 3]], [[6]])])).toBe(1024 + 4 + 6);
    expect(kernelMacs([k("NonMaxSuppressionV5", [[0, 4], [0]], [[0], [0]])])).toBe(0);
    expect(kernelMacs([])).toBe(0);
  });
});
