import { expect, it } from "vitest";

// Pins the public surface: adding, renaming or removing an export must be a deliberate change.
it("exports exactly the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual([
    "HessianNotPositiveDefiniteError",
    "VERSION",
    "columnOrder",
    "gptqGrouping",
    "gptqLayer",
    "gptqOptionsSchema",
    "gptqQuantizer",
    "gridLevels",
    "gridParams",
    "hessianFromInputs",
    "upperCholeskyOfInverse",
  ]);
});
