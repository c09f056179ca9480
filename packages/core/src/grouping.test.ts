import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ErrorCodes, ShapeMismatchError } from "./errors.js";
import { resolveChannelAxis } from "./channel-axis.js";
import { TENSOR_GROUPING, groupCount, groupIndexMap } from "./grouping.js";
import { shapeSize } from "./tensor.js";

describe("grouping", () => {
  it("per channel: the group of an element is its index along the axis (any rank)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), fc.nat(), (shape, a) => {
        const axis = a % shape.length;
        const m = groupIndexMap(shape, { kind: "channel", axis });
        expect(m.length).toBe(shapeSize(shape));
        expect(groupCount(shape, { kind: "channel", axis })).toBe(shape[axis]);
        // Brute force: decompose each flat index into coordinates.
        for (let i = 0; i < m.length; i++) {
          let r = i,
            coord = 0;
          for (let d = shape.length - 1; d >= 0; d--) {
            if (d === axis) coord = r % shape[d]!;
            r = Math.floor(r / shape[d]!);
          }
          expect(m[i]).toBe(coord);
        }
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it("per group: runs of `size` consecutive elements, last group ragged", () => {
    expect([...groupIndexMap([7], { kind: "group", size: 3 })]).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(groupCount([7], { kind: "group", size: 3 })).toBe(3);
    expect(groupCount([2, 4], { kind: "group", size: 100 })).toBe(1);
    expect(groupCount([0], { kind: "group", size: 4 })).toBe(1);
  });

  it("per tensor: one group of zeros; scalars have one element", () => {
    expect([...groupIndexMap([2, 2], TENSOR_GROUPING)]).toEqual([0, 0, 0, 0]);
    expect(groupCount([], TENSOR_GROUPING)).toBe(1);
    expect(groupIndexMap([], TENSOR_GROUPING).length).toBe(1);
  });

  it("rejects bad axes and group sizes with QF_SHAPE_MISMATCH", () => {
    for (const g of [
      { kind: "channel", axis: 2 },
      { kind: "channel", axis: -1 },
      { kind: "channel", axis: 0.5 },
      { kind: "group", size: 0 },
      { kind: "group", size: 1.5 },
    ] as const) {
      expect(() => groupCount([3, 4], g)).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
      expect(() => groupIndexMap([3, 4], g)).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
    }
    expect(() => groupCount([], { kind: "channel", axis: 0 })).toThrow(expect.objectContaining({ code: ErrorCodes.SHAPE_MISMATCH }));
  });
});

describe("resolveChannelAxis", () => {
  const k = { name: "k", shape: [3, 3, 8, 16] };
  it("resolves numbers (negative from the end) and symbolic axes through the tensor's layout", () => {
    expect(resolveChannelAxis(k, -1, "p")).toBe(3);
    expect(resolveChannelAxis(k, 1, "p")).toBe(1);
    expect(resolveChannelAxis({ ...k, outputAxis: 0, inputAxis: 1 }, "output", "p")).toBe(0);
    expect(resolveChannelAxis({ ...k, outputAxis: 0, inputAxis: 1 }, "input", "p")).toBe(1);
    expect(resolveChannelAxis({ ...k, outputAxis: -2, inputAxis: -2 }, "output", "p")).toBe(2);
  });
  it("falls back to the TensorFlow layout [.., in, out] without layout metadata", () => {
    expect(resolveChannelAxis(k, "output", "p")).toBe(3);
    expect(resolveChannelAxis(k, "input", "p")).toBe(2);
    expect(resolveChannelAxis({ name: "b", shape: [5] }, "input", "p")).toBe(0);
  });
  it("throws ShapeMismatchError for an axis the tensor lacks", () => {
    expect(() => resolveChannelAxis(k, 4, "p")).toThrow(ShapeMismatchError);
    expect(() => resolveChannelAxis(k, -5, "p")).toThrow(/Choose an axis in -4…3/);
    expect(() => resolveChannelAxis({ ...k, outputAxis: 7 }, "output", "p")).toThrow(ShapeMismatchError);
  });
});
