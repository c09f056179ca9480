import { expect, it } from "vitest";

// Pins the public surface: adding, renaming or removing an export must be a deliberate change.
it("exports exactly the public API", async () => {
  expect(Object.keys(await import("./index.js")).sort()).toEqual(["FP4_LEVELS", "NF4_LEVELS", "VERSION", "doubleQuantize", "groupScales", "nf4OptionsSchema", "nf4QuantizeTensor", "nf4Quantizer"]);
});
