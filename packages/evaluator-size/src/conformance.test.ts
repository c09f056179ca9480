import { describeEvaluatorConformance } from "@quantforge/core/testing";
import { sizeEvaluator } from "./size-evaluator.js";

// Sizes have no "ideal" value on identical inputs (a lossless quantizer still costs bytes), so
// only the structural checks apply; the entropy of a lossless levels codebook is still finite.
describeEvaluatorConformance(sizeEvaluator());
