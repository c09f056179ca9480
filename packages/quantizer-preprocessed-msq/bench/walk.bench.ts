/**
 * Cost of the vertex walk per neuron as the layer grows (tinybench): one `walkNeuron` on a
 * Gaussian X of m × N0 (the per-layer `planWalk` is timed separately). The walk is O(N0·m²) per
 * neuron — linear in N0 at fixed m, quadratic in m.
 *
 *   pnpm --filter @quantforge/quantizer-preprocessed-msq bench
 */
import { Bench } from "tinybench";
import { Rng } from "@quantforge/core";
import { createWalkWorkspace, fillCells, planWalk, uniformAlphabet, walkNeuron } from "../src/index.js";

const bench = new Bench({ time: 500, iterations: 3 });
for (const [m, n0] of [
  [32, 512],
  [32, 2048],
  [64, 1024],
  [64, 4096],
  [128, 1024],
  [256, 784],
] as const) {
  const rng = new Rng(m * 7919 + n0);
  const x = Float64Array.from({ length: m * n0 }, () => rng.normal());
  const w = Float64Array.from({ length: n0 }, () => rng.normal());
  const a = uniformAlphabet(3, "midtread", Math.max(...w.map(Math.abs)));
  const lo = new Float64Array(n0),
    hi = new Float64Array(n0),
    z = new Float64Array(n0);
  fillCells(a, w, "cell", lo, hi);
  const plan = planWalk(x, m, n0);
  const ws = createWalkWorkspace(plan);
  bench.add(`planWalk m=${m} N0=${n0}`, () => {
    planWalk(x, m, n0);
  });
  bench.add(`walkNeuron m=${m} N0=${n0}`, () => {
    z.set(w);
    walkNeuron(plan, ws, z, lo, hi);
  });
}
await bench.run();
console.table(bench.table());
