import { describeEvaluatorConformance } from "@quantforge/core/testing";
import { sqnrEvaluator } from "./sqnr-evaluator.js";

describeEvaluatorConformance(sqnrEvaluator(), { ideal: { mse: 0, maxAbsError: 0, sqnrDb: null } });
