import { defaultQuantizerTensors, describeQuantizerConformance } from "@quantforge/core/testing";
import type { ModelProbe } from "@quantforge/core";
import { hessianEcsqQuantizer } from "./index.js";

// Bare weights: every mode with importance "none" (the Hessian and Adam options need a model).
describeQuantizerConformance(hessianEcsqQuantizer(), {
  options: [
    { importance: "none", bits: 3 },
    { mode: "kmeans", clusters: 5, scope: "layer" },
    { mode: "uniform", importance: "none", bits: 4, pinZero: true },
    { mode: "uniform", importance: "none", targetBits: 1.5 },
    { mode: "iterative-ecsq", importance: "none", clusters: 16, lambda: 0.01 },
    { mode: "hessian-kmeans", importance: "none", bits: 2, density: 0.3 },
  ],
  invalidOptions: [{ mode: "fast" }, { bits: 0 }, { mode: "kmeans", step: 0.1 }, { mode: "iterative-ecsq", lambda: -1 }, { density: 2 }],
});

// With a model: Hessian and Adam importance from a probe over the default tensors.
const weights = defaultQuantizerTensors();
const model: ModelProbe = {
  id: "conformance-probe",
  weights,
  hessian: { hessianDiagonal: async () => weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (x, i) => 0.1 + x * x + (i % 5)) })) },
  optimizer: { secondMoments: async () => weights.map((t) => ({ ...t, data: Float32Array.from(t.data, (x) => 1e-6 + x * x) })) },
};
describeQuantizerConformance(hessianEcsqQuantizer(), {
  model,
  options: [
    { mode: "hessian-kmeans", bits: 3 },
    { mode: "iterative-ecsq", importance: "adam", targetBits: 2 },
    { mode: "uniform", importance: "hessian", step: 0.05, density: 0.5 },
  ],
});
