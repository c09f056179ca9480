/**
 * Benchmark (issue 4 acceptance): quantize + dequantize 16M Laplacian weights at 8 bits with
 * uniform-mse and with rtn on the same data in the same run, and the cold design of all
 * R = 1…16. Run: pnpm --filter @quantforge/quantizer-uniform-mse bench
 */
import { performance } from "node:perf_hooks";
import { dequantizeTensor, Rng, type Quantizer, type WeightTensor } from "@quantforge/core";
import { createRunContext } from "@quantforge/core/host";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { clearDesignCache, iterativeXMax, optimalXMax } from "@quantforge/theory-laplacian";
import { Bench } from "tinybench";
import { uniformMseQuantizer } from "../src/index.js";

const n = 16 * 1024 * 1024;
const rng = new Rng(2024);
const data = new Float32Array(n);
for (let i = 0; i < n; i++) data[i] = rng.laplace(0.05);
const weights: WeightTensor[] = [{ name: "w", shape: [4096, 4096], data }];

function roundTrip(q: Quantizer): void {
  const m = q.quantize(weights, createRunContext({ seed: 1 })) as Awaited<ReturnType<Quantizer["quantize"]>>;
  if (m instanceof Promise) throw new Error("per-tensor quantizers are synchronous");
  const out = dequantizeTensor(m.tensors[0]!, m.codebooks[0]!);
  if (out.length !== n) throw new Error("bad length");
}

const uni = uniformMseQuantizer().create(uniformMseQuantizer().parseOptions({ bits: 8 }));
const uniCh = uniformMseQuantizer().create(uniformMseQuantizer().parseOptions({ bits: 8, granularity: "channel" }));
const rtn = rtnQuantizer().create(rtnQuantizer().parseOptions({ bits: 8 }));
const rtnCh = rtnQuantizer().create(rtnQuantizer().parseOptions({ bits: 8, granularity: "channel", axis: -1 }));

const t0 = performance.now();
clearDesignCache();
for (let r = 1; r <= 16; r++) {
  optimalXMax(r);
  iterativeXMax(r);
}
const designMs = performance.now() - t0;

const bench = new Bench({ iterations: 8, time: 0, warmup: true, warmupIterations: 2, warmupTime: 0 });
bench.add("uniform-mse 8 bit, per tensor (16M)", () => roundTrip(uni));
bench.add("rtn 8 bit, per tensor (16M)", () => roundTrip(rtn));
bench.add("uniform-mse 8 bit, per channel (16M)", () => roundTrip(uniCh));
bench.add("rtn 8 bit, per channel (16M)", () => roundTrip(rtnCh));
await bench.run();
console.table(bench.table());
const mean = (name: string): number => (bench.tasks.find((t) => t.name === name)!.result as unknown as { latency: { mean: number } }).latency.mean;
const pairs: [string, string][] = [
  ["uniform-mse 8 bit, per tensor (16M)", "rtn 8 bit, per tensor (16M)"],
  ["uniform-mse 8 bit, per channel (16M)", "rtn 8 bit, per channel (16M)"],
];
for (const [a, b] of pairs) console.log(`${a}: ${mean(a).toFixed(1)} ms, ${b}: ${mean(b).toFixed(1)} ms, ratio uniform-mse/rtn = ${(mean(a) / mean(b)).toFixed(2)}`);
console.log(`design of all R = 1…16 (optimal + iterative, cold cache, first call): ${designMs.toFixed(2)} ms (target < 50 ms)`);
if (designMs >= 50) process.exitCode = 1;
