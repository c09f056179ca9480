import { describeQuantizerConformance } from "@quantforge/core/testing";
import { rtnQuantizer } from "./rtn-quantizer.js";

describeQuantizerConformance(rtnQuantizer(), {
  options: [
    {},
    { bits: 1 },
    { bits: 2, zero: "free" },
    { bits: 3, scheme: "symmetric" },
    { bits: 16 },
    { bits: 4, granularity: "channel", axis: -1 },
    { bits: 5, granularity: "channel", axis: 0, scheme: "symmetric" },
    { bits: 4, granularity: "group", groupSize: 7, zero: "free" },
  ],
  invalidOptions: [
    { bits: 0 },
    { bits: 17 },
    { bits: 2.5 },
    { bits: "8" },
    { scheme: "signed" },
    { zero: "nudged" },
    { granularity: "layer" },
    { groupSize: 0 },
    { axis: 1.5 },
    { scheme: "symmetric", bits: 1 },
    { scheme: "symmetric", zero: "free" },
    { unknownOption: true },
  ],
});
