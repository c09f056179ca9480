/**
 * Benchmark: computing every design R = 1…16 from a cold cache (target < 50 ms in total).
 * Run: pnpm --filter @quantforge/theory-laplacian bench
 */
import { performance } from "node:perf_hooks";
import { Bench } from "tinybench";
import { clearDesignCache, iterativeXMax, optimalXMax } from "../src/index.js";

const BITS = Array.from({ length: 16 }, (_, i) => i + 1);

function allOptimal(): void {
  clearDesignCache();
  for (const r of BITS) optimalXMax(r);
}
function allIterative(): void {
  clearDesignCache();
  for (const r of BITS) iterativeXMax(r);
}
function allMidtread(): void {
  clearDesignCache();
  for (const r of BITS.slice(1)) optimalXMax(r, { midtread: true });
}

// The very first call in a fresh process (unoptimised code), which is what a CLI run pays.
const t0 = performance.now();
allOptimal();
const firstMs = performance.now() - t0;

const bench = new Bench({ time: 500, warmup: true });
bench.add("optimal x_max, R = 1…16, cold cache", allOptimal);
bench.add("iterative x_max, R = 1…16, cold cache", allIterative);
bench.add("optimal midtread x_max, R = 2…16, cold cache", allMidtread);
bench.add("optimal x_max, R = 1…16, cached", () => {
  for (const r of BITS) optimalXMax(r);
});
await bench.run();
console.table(bench.table());
console.log(`first-call (unwarmed) optimal design for R = 1…16: ${firstMs.toFixed(2)} ms (target < 50 ms)`);
for (const t of bench.tasks) {
  const r = t.result as { latency?: { mean: number } } | undefined;
  if (r?.latency) console.log(`${t.name}: mean ${r.latency.mean.toFixed(4)} ms`);
}
if (firstMs >= 50) {
  console.error("FAIL: the cold design exceeded 50 ms");
  process.exitCode = 1;
}
