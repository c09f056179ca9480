import { describeQuantizerConformance } from "@quantforge/core/testing";
import { hqqQuantizer } from "./hqq-quantizer.js";

// Every test of the suite runs; a skip needs { test, reason } and a line in the README.
describeQuantizerConformance(hqqQuantizer(), {
  options: [{}, { bits: 1, groupSize: 3 }, { bits: 2, p: 1, earlyStop: false, iterations: 5 }, { bits: 3, groupSize: 7 }, { bits: 8, groupSize: 1000, iterations: 0 }],
  invalidOptions: [{ bits: 0 }, { bits: 9 }, { bits: 2.5 }, { bits: "8" }, { groupSize: 0 }, { p: 0 }, { p: 1.5 }, { kappa: 0.5 }, { iterations: -1 }, { earlyStop: "no" }, { unknownOption: true }],
});
