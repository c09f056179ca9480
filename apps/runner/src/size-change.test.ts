import { describe, expect, it } from "vitest";
import { ratioChange, sizeChange } from "./size-change.js";

describe("sizeChange", () => {
  it("says smaller or larger by the factor, never 'smaller' for a file that grew", () => {
    expect(sizeChange(4000, 1000)).toBe("4.00× smaller");
    // nsfwjs mobilenet_v2 (uint8-stored) written as tfjs-native at 8 bits: a little larger.
    expect(sizeChange(2737389, 2738876)).toBe("1.00× larger");
    expect(sizeChange(1000, 1500, 1)).toBe("1.5× larger");
    expect(sizeChange(1000, 1000)).toBe("the same size");
  });
  it("an empty side prints the byte counts instead of a ratio", () => {
    expect(sizeChange(0, 10)).toBe("0 → 10 bytes");
  });
});

describe("ratioChange", () => {
  it("a compression ratio below 1 (codes plus overhead above float32) reads as larger", () => {
    expect(ratioChange(8.01)).toBe("8.01× smaller");
    expect(ratioChange(0.8)).toBe("1.25× larger");
    expect(ratioChange(1)).toBe("the same size");
  });
});
