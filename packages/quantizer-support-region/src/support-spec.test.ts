import { describe, expect, it } from "vitest";
import { ErrorCodes } from "@quantforge/core";
import { formatSupportSpec, parseSupportSpec, supportNeedsWeights, supportSpecProblem } from "./support-spec.js";

describe("parseSupportSpec", () => {
  it("parses every kind and formats it back", () => {
    for (const raw of ["optimal", "iterative", "max", "mse", "sigma:3", "sigma:2.5", "percentile:99.9", "percentile:100", "value:0.125", "value:1e-3"]) {
      const s = parseSupportSpec(raw);
      expect(parseSupportSpec(formatSupportSpec(s))).toEqual(s);
    }
    expect(parseSupportSpec("sigma:3")).toEqual({ kind: "sigma", k: 3 });
    expect(parseSupportSpec("percentile:99.9")).toEqual({ kind: "percentile", p: 99.9 });
    expect(parseSupportSpec("value:1e-3")).toEqual({ kind: "value", x: 0.001 });
  });

  it("rejects bad choices with InvalidOptionsError naming the field", () => {
    for (const raw of ["", "Optimal", "sigma", "sigma:", "sigma:0", "sigma:-1", "sigma: 3", "sigma:x", "sigma:Infinity", "percentile:0", "percentile:100.5", "value:0", "value:NaN", "max:3", "mse:1"]) {
      expect(() => parseSupportSpec(raw, "support"), raw).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTIONS, field: "support" }));
      expect(supportSpecProblem(raw)).toMatch(/"/);
    }
    expect(supportSpecProblem("sigma:2")).toBeNull();
  });

  it("knows which choices depend on the weights", () => {
    expect(["optimal", "iterative", "sigma:2"].map((s) => supportNeedsWeights(parseSupportSpec(s)))).toEqual([false, false, false]);
    expect(["max", "percentile:99", "value:1", "mse"].map((s) => supportNeedsWeights(parseSupportSpec(s)))).toEqual([true, true, true, true]);
  });
});
