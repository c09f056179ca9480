import { describeQuantizerConformance } from "@quantforge/core/testing";
import { uniformMseQuantizer } from "./index.js";

describeQuantizerConformance(uniformMseQuantizer(), {
  options: [
    {},
    { bits: 1 },
    { bits: 2, design: "iterative" },
    { bits: 9, mode: "mismatched" },
    { bits: 16 },
    { bits: 4, granularity: "channel" },
    { bits: 3, granularity: "channel", axis: 0 },
    { bits: 12, granularity: "layer", design: "iterative", mode: "mismatched" },
    { bits: 2, midtread: true },
    { bits: 4, granularity: "channel", midtread: true },
    { bits: 16, midtread: true, mode: "mismatched" },
  ],
  invalidOptions: [
    { bits: 0 },
    { bits: 17 },
    { bits: 2.5 },
    { design: "best" },
    { mode: "both" },
    { granularity: "group" },
    { axis: 0.5 },
    { bogus: 1 },
    { bits: 1, midtread: true },
    { design: "iterative", midtread: true },
    { midtread: 1 },
  ],
});
