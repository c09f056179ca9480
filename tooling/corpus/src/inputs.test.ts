import { describe, expect, it } from "vitest";
import { concreteShape, parseInputShapes, relativeDiff } from "./inputs.js";

describe("inputs", () => {
  const shapes = parseInputShapes(["input=1280", "img=32,32,3"]);
  it("fills an unknown batch, keeps a fixed one and takes unknown dims from --input-shape", () => {
    expect(concreteShape({ name: "x", shape: [null, 64, 64, 1], dtype: "float32" }, shapes, 2)).toEqual([2, 64, 64, 1]);
    expect(concreteShape({ name: "x", shape: [1, 25, 96], dtype: "float32" }, shapes, 2)).toEqual([1, 25, 96]);
    expect(concreteShape({ name: "input", shape: [null, null], dtype: "float32" }, shapes, 2)).toEqual([2, 1280]);
    expect(concreteShape({ name: "sr", shape: [], dtype: "int64" }, shapes, 2)).toEqual([]);
    expect(concreteShape({ name: "y", shape: [1, null, null, 3], dtype: "float32" }, shapes, 2)).toMatch(/pass --input-shape/);
    // silero's recurrent state: the batch axis named like `input`'s dim 0 sits at dim 1.
    expect(concreteShape({ name: "h", shape: [2, null, 64], dtype: "float32", batchAxis: 1 }, shapes, 3)).toEqual([2, 3, 64]);
    expect(concreteShape({ name: "h", shape: [2, null, 64], dtype: "float32" }, shapes, 3)).toMatch(/pass --input-shape/);
    expect(concreteShape({ name: "y", shape: [1, null, null, 3], dtype: "float32", batchAxis: 1 }, shapes, 2)).toMatch(/pass --input-shape/);
  });
  it("matches a tfjs layers input renamed on a second load (img_1, img_2) by its layer name", () => {
    expect(concreteShape({ name: "img_1", shape: [null, null, null, 3], dtype: "float32" }, shapes, 2)).toEqual([2, 32, 32, 3]);
    expect(concreteShape({ name: "img_12", shape: [null, null, null, 3], dtype: "float32" }, shapes, 2)).toEqual([2, 32, 32, 3]);
    expect(concreteShape({ name: "other_1", shape: [null, null, 3], dtype: "float32" }, shapes, 2)).toMatch(/pass --input-shape/);
  });
  it("measures relative L2 differences", () => {
    expect(relativeDiff([1, 2], [1, 2]).rel).toBe(0);
    expect(relativeDiff([0, 0], [3, 4]).rel).toBeCloseTo(1);
    expect(relativeDiff([1], [1, 2]).rel).toBe(Number.POSITIVE_INFINITY);
  });
});
