import { Rng } from "@quantforge/core";
import { prepareSorted, linearInit, iterativeEcsq, normaliseImportance, quantizeHessianEcsq, hessianEcsqOptionsSchema } from "./src/index.js";
const rng = new Rng(1); const n = 431_080;
const w = new Float32Array(n); const h = new Float64Array(n);
for (let i = 0; i < n; i++) { w[i] = rng.laplace(0.05); h[i] = Math.exp(3 * rng.normal()); }
normaliseImportance(h, 1e-6);
const d = prepareSorted(w, h);
for (const lam of [1e-6, 1e-5, 1e-4]) {
  const t0 = performance.now(); const r = iterativeEcsq(d, linearInit(d, 64), lam, 100);
  console.log(lam, "ms", (performance.now() - t0).toFixed(0), "it", r.iterations, r.converged, "H", r.entropy.toFixed(3), "D", r.distortion.toExponential(3), "k", r.centres.length);
}
const ws = [{ name: "w", shape: [n], data: w }];
const imp = [{ name: "w", shape: [n], data: Float32Array.from(h) }];
const t1 = performance.now();
const q = quantizeHessianEcsq(ws, imp, hessianEcsqOptionsSchema.parse({ mode: "iterative-ecsq", targetBits: 3, clusters: 64, maxIterations: 100, maxSearchSteps: 30 }));
console.log("search ms", (performance.now() - t1).toFixed(0), q.groups[0]!.entropy, q.groups[0]!.search!.length, q.groups[0]!.lambda);
