import { describeEvaluatorConformance } from "@quantforge/core/testing";
import { twoHeadProbe } from "./fake-probe.test-support.js";
import { fidelityEvaluator } from "./fidelity-evaluator.js";

// A plain-JS two-head model (classifier + regression head) implements the ModelProbe contract.
describeEvaluatorConformance(fidelityEvaluator(), {
  model: twoHeadProbe(),
  ideal: { outputRelError: 0, outputRelErrorWorst: 0, outputKl: 0, top1Agreement: 1 },
  options: [{}, { samples: 8, classifier: "logits", inputRange: [-1, 1] }],
});
