import { describeQuantizerConformance } from "@quantforge/core/testing";
import { log2Quantizer } from "./log2-quantizer.js";

// No skips: the levels codebook stores the reconstruction exactly, so requantize, determinism
// and the edge cases (±3e38, subnormals, outliers) all hold.
describeQuantizerConformance(log2Quantizer(), {
  options: [{}, { bits: 2 }, { bits: 8, scale: "absmax" }, { bits: 3, base: "sqrt2", rounding: "log" }, { bits: 5, base: "sqrt2", scale: "absmax", rounding: "nearest" }],
  invalidOptions: [{ bits: 1 }, { bits: 9 }, { bits: 3.5 }, { base: 10 }, { base: "e" }, { scale: "max" }, { rounding: "up" }, { granularity: "channel" }],
});
