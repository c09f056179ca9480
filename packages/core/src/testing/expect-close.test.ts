import { describe, expect, it } from "vitest";
import { CloseAssertionError, expectClose } from "./expect-close.js";

function failure(f: () => void): CloseAssertionError {
  try {
    f();
  } catch (e) {
    return e as CloseAssertionError;
  }
  throw new Error("expected expectClose to fail");
}

describe("expectClose", () => {
  it("accepts |a − e| ≤ atol + rtol·|e| and rejects beyond it", () => {
    expectClose(1.04, 1, { atol: 0.05, rtol: 0 });
    expectClose(109, 100, { atol: 0, rtol: 0.1 });
    expectClose(1.09, 1, { atol: 0.05, rtol: 0.05 });
    expect(() => expectClose(1.11, 1, { atol: 0.05, rtol: 0.05 })).toThrow(CloseAssertionError);
    expect(() => expectClose(0, 1e-300, { atol: 0, rtol: 0 })).toThrow(/not close/);
    expectClose(Infinity, Infinity, { atol: 0, rtol: 0 });
    expect(() => expectClose(Infinity, -Infinity, { atol: 1, rtol: 1 })).toThrow();
    expect(() => expectClose(1e308, Infinity, { atol: 1, rtol: 1 })).toThrow();
  });

  it("names the worst index and counts the bad elements", () => {
    const e = failure(() => expectClose(Float32Array.from([0, 1.5, 2, 3.2]), [0, 1, 2, 3], { atol: 0.1, rtol: 0 }));
    expect(e.index).toBe(1);
    expect(e.message).toContain("2 of 4 elements differ");
    expect(e.message).toContain("worst at index 1: actual 1.5, expected 1");
  });

  it("treats NaN as a failure unless equalNaN, and ranks it worst", () => {
    const e = failure(() => expectClose([0, NaN, 5], [0, 0, 0], { atol: 1, rtol: 0 }));
    expect(e.index).toBe(1);
    expectClose([NaN, 1], [NaN, 1], { atol: 0, rtol: 0, equalNaN: true });
    expect(() => expectClose([NaN], [1], { atol: 0, rtol: 0, equalNaN: true })).toThrow();
  });

  it("rejects length and type mismatches and bad tolerances", () => {
    expect(failure(() => expectClose([1, 2], [1], { atol: 1, rtol: 1 })).message).toContain("length 2 differs from expected length 1");
    expect(() => expectClose(1, [1], { atol: 0, rtol: 0 })).toThrow(/cannot compare/);
    expect(() => expectClose(1, 1, { atol: -1, rtol: 0 })).toThrow(RangeError);
    expect(() => expectClose(1, 1, { atol: NaN, rtol: 0 })).toThrow(RangeError);
  });
});
