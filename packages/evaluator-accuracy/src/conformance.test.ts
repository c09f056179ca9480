import { describeEvaluatorConformance } from "@quantforge/core/testing";
import { accuracyEvaluator } from "./accuracy-evaluator.js";
import { linearProbe } from "./js-probe.test-support.js";

// The evaluator needs a model: a plain-JS linear softmax classifier implements the ModelProbe
// contract (forward + dataset) without tfjs. The suite's `constant` check is skipped by the suite
// itself when a model is given (the input must be the model's own weights).
describeEvaluatorConformance(accuracyEvaluator(), {
  model: linearProbe(),
  ideal: { agreement: 1, klDivergence: 0, accuracyDrop: 0 },
  options: [{}, { samples: 50, klEpsilon: 1e-9 }],
});
