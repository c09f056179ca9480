import { describeQuantizerConformance } from "@quantforge/core/testing";
import { tfjsAffineQuantizer } from "./tfjs-affine-quantizer.js";

describeQuantizerConformance(tfjsAffineQuantizer(), {
  options: [{}, { dtype: "uint16" }, { dtype: "float16" }, { bits: 16 }],
  invalidOptions: [{ dtype: "int8" }, { bits: 4 }, { bits: 8, dtype: "uint16" }, { bits: 8, dtype: "float16" }, { scale: 1 }],
});
