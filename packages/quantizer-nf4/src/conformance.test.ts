import { describeQuantizerConformance } from "@quantforge/core/testing";
import { nf4Quantizer } from "./nf4-quantizer.js";

describeQuantizerConformance(nf4Quantizer(), {
  options: [{}, { levels: "fp4", groupSize: 7 }, { doubleQuant: true, doubleQuantBlock: 3, groupSize: 5 }, { groupSize: 1000 }],
  invalidOptions: [{ bits: 3 }, { levels: "int4" }, { groupSize: 0 }, { doubleQuant: "yes" }, { doubleQuantBlock: 0 }, { unknownOption: true }],
});
