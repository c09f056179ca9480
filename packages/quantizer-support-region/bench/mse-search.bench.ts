/**
 * Benchmark: the `mse` support search on a 1M-weight tensor (one sort of |w − μ|, prefix sums,
 * O(N/2·log n) per candidate), next to `optimal` (no search) and a naive search that evaluates
 * every candidate with an O(n) pass. Run: pnpm --filter @quantforge/quantizer-support-region bench
 */
import { performance } from "node:perf_hooks";
import { Rng, type WeightTensor } from "@quantforge/core";
import { optimalXMax } from "@quantforge/theory-laplacian";
import { Bench } from "tinybench";
import { centerScale, gridEncode, mseSearch, prefixSums, sortedDeviations, storableXMax, supportRegionQuantize, supportRegionQuantizer } from "../src/index.js";

const n = 1 << 20;
const rng = new Rng(2024);
const data = new Float32Array(n);
// Laplacian with 3 % of the weights 6× wider: heavier-tailed than the design, as real layers are.
for (let i = 0; i < n; i++) data[i] = rng.laplace(0.05) * (rng.float() < 0.03 ? 6 : 1);
const t: WeightTensor = { name: "w", shape: [1024, 1024], data };
const plugin = supportRegionQuantizer();
const quantize = (bits: number, supportRegion: string) => supportRegionQuantize([t], plugin.parseOptions({ bits, supportRegion }));

const st = centerScale([data]);
const sigma = Math.fround(st.sigma);
const sorted = sortedDeviations([data], st.mu, sigma);
const d = prefixSums(sorted);

const bench = new Bench({ iterations: 6, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0 });
for (const bits of [2, 3, 4]) bench.add(`quantize 1M, mse, ${bits} bit (search + final check + encode)`, () => void quantize(bits, "mse"));
bench.add("quantize 1M, optimal, 2 bit (no search)", () => void quantize(2, "optimal"));
bench.add("sort |w − μ|/σ of 1M + prefix sums", () => void prefixSums(sortedDeviations([data], st.mu, sigma)));
bench.add("mseSearch on sorted 1M, 2 bit (candidates only)", () => void mseSearch(d, 4, [optimalXMax(2), sorted[n - 1]!]));
await bench.run();
console.table(bench.table());

// What the prefix sums save: the same number of candidates, each an O(n) encode pass.
const s = mseSearch(d, 4, [optimalXMax(2), sorted[n - 1]!]);
const probe = Math.min(s.evaluations, 40);
const t0 = performance.now();
for (let k = 0; k < probe; k++) gridEncode(data, 4, storableXMax(1 + k / 10, 4, st.mu, sigma).xMax, st.mu, sigma, null);
const perPass = (performance.now() - t0) / probe;
console.log(`mse search at 2 bits: ${s.evaluations} candidate errors; x_max = ${s.xMax.toFixed(4)}σ (optimal ${optimalXMax(2).toFixed(4)}σ).`);
console.log(`one O(n) error pass over 1M weights: ${perPass.toFixed(2)} ms → the same search done naively: ~${((perPass * s.evaluations) / 1000).toFixed(1)} s.`);
