/**
 * Throughput of rtn quantize + dequantize of 16M float32 weights (8-bit, per tensor) against a
 * plain Float32Array copy loop of the same 16M values measured in the same run (issue 2
 * acceptance: report weights/second and the ratio to the copy loop; aim: within 4×). When
 * `@quantforge/coder-fixed` is installed, fixed pack + unpack of the same codes is measured too.
 *
 * Run: `pnpm --filter @quantforge/quantizer-rtn bench` (env: BENCH_ROUNDS, BENCH_ITERATIONS).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";
import { dequantizeCodes, dequantizeTensor, type AffineCodebook, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { createRunContext } from "@quantforge/core/host";
import { sampleTensor } from "@quantforge/core/testing";
import { groupMinMax, rtnCodes, rtnParams, rtnQuantizer } from "../src/index.js";

const N = 16 * 1024 * 1024;
const ITER = Number(process.env.BENCH_ITERATIONS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);

const w = sampleTensor("bench/kernel", [4096, 4096], { dist: "laplace", seed: 1, sigma: 0.05 });
const src = w.data;
const dst = new Float32Array(N);
const codes = new Uint32Array(N);
const out = new Float32Array(N);
const min = new Float64Array(1),
  max = new Float64Array(1);
const spec = { bits: 8, scheme: "asymmetric", zero: "exact" } as const;
const plugin = rtnQuantizer();
const quantizer = plugin.create(plugin.parseOptions({ bits: 8 }));
const ctx = createRunContext();
let sink = 0;

// A full GC before each task (outside the timed window), so the 128 MB the allocating task
// leaves behind is not collected inside the next task's timing.
setFlagsFromString("--expose-gc");
// Those forced GCs would otherwise age every task's code out (V8 flushes bytecode of functions
// not run for a few GCs), and each round would re-run the kernels in the interpreter.
setFlagsFromString("--no-flush-bytecode");
const gc = runInNewContext("gc") as () => void;

/** rtn as the plugin runs it: whole weight set in, QuantizedModel out, then core's dequantizer. */
async function pluginRoundTrip(): Promise<void> {
  const m = await quantizer.quantize([w], ctx);
  sink += dequantizeTensor(m.tensors[0]!, m.codebooks[0]!)[N - 1]!;
}

/** The same math into preallocated buffers: min/max pass, parameters, codes pass, dequantize pass. */
function kernelRoundTrip(): void {
  groupMinMax(src, { kind: "tensor" }, min, max);
  const p = rtnParams(min, max, 1, spec);
  rtnCodes(src, { kind: "tensor" }, p, codes);
  const cb: AffineCodebook = { kind: "affine", id: "b", levels: p.levels, scale: p.scale, zeroPoint: p.zeroPoint };
  dequantizeCodes(cb, codes, null, out);
  sink += out[N - 1]!;
}

/**
 * The baseline: a plain Float32Array copy loop written like the kernels, as a function of its
 * arguments. (A loop over module constants lets V8 fold the array lengths and runs faster; it is
 * reported too, so the ratio can be read against either.)
 */
function copyInto(a: Float32Array, b: Float32Array): void {
  const n = a.length;
  for (let i = 0; i < n; i++) b[i] = a[i]!;
}

type Task = readonly [name: string, fn: () => void | Promise<void>];
const BASE = "float32 copy loop (function of its arguments)";
const tasks: Task[] = [
  [
    BASE,
    () => {
      copyInto(src, dst);
      sink += dst[N - 1]!;
    },
  ],
  [
    "float32 copy loop (inlined over module constants)",
    () => {
      for (let i = 0; i < N; i++) dst[i] = src[i]!;
      sink += dst[N - 1]!;
    },
  ],
  ["rtn quantize+dequantize (kernels, preallocated like the copy)", kernelRoundTrip],
  ["rtn quantize+dequantize (plugin + dequantizeTensor, allocating)", pluginRoundTrip],
  [
    "  min/max pass",
    () => {
      groupMinMax(src, { kind: "tensor" }, min, max);
      sink += max[0]!;
    },
  ],
  [
    "  codes pass",
    () => {
      rtnCodes(src, { kind: "tensor" }, rtnParams(min, max, 1, spec), codes);
      sink += codes[N - 1]!;
    },
  ],
  [
    "  reference: allocate a 16M Uint32Array and write it",
    () => {
      const a = new Uint32Array(N);
      a.fill(7);
      sink += a[N - 1]!;
    },
  ],
  [
    "  dequantize pass (core)",
    () => {
      const p = rtnParams(min, max, 1, spec);
      dequantizeCodes({ kind: "affine", id: "b", levels: p.levels, scale: p.scale, zeroPoint: p.zeroPoint }, codes, null, out);
      sink += out[N - 1]!;
    },
  ],
];

// Fixed pack + unpack when the coder package is there (an optional dev dependency of this bench).
const fixed = await import("@quantforge/coder-fixed").catch(() => null);
if (fixed) {
  const m = await quantizer.quantize([w], ctx);
  const t: QuantizedTensor = m.tensors[0]!;
  const cb: Codebook = m.codebooks[0]!;
  const back = fixed.decodeFixed(fixed.encodeFixed(t, cb)).codes;
  for (let i = 0; i < N; i++) if (back[i] !== t.codes[i]) throw new Error(`fixed round trip failed at ${i}`);
  tasks.push([
    "fixed pack+unpack 8-bit (rtn codes)",
    () => {
      sink += fixed.decodeFixed(fixed.encodeFixed(t, cb)).codes[N - 1]!;
    },
  ]);
}

// The machine is shared, so load drifts: measure in many short interleaved rounds (every task
// ITER times per round) and report medians, and the median of the per-round ratios to that
// round's copy loop.
const times = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const bench = new Bench({ iterations: ITER, time: 0, warmupIterations: r === 0 ? 1 : 0, warmupTime: 0, warmup: r === 0 });
  for (const [name, fn] of tasks) bench.add(name, fn, { beforeAll: gc, beforeEach: gc });
  await bench.run();
  for (const t of bench.tasks) {
    const res = t.result;
    if (res.state !== "completed") throw new Error(`${t.name}: ${res.state}`);
    times.get(t.name)!.push(res.latency.mean);
  }
}
const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const copy = times.get(BASE)!;
const rows = tasks.map(([name]) => {
  const ts = times.get(name)!;
  const ms = median(ts);
  return {
    task: name,
    "ms (median)": ms.toFixed(1),
    "Mweights/s": (N / (ms / 1000) / 1e6).toFixed(0),
    "× copy": median(ts.map((x, i) => x / copy[i]!)).toFixed(2),
  };
});
console.log(`rtn bench: ${N.toLocaleString("en")} float32 weights (Laplacian σ = 0.05), 8-bit per tensor; ${ROUNDS} rounds × ${ITER} iterations; node ${process.version}`);
console.table(rows);
if (sink === 42) console.log("");
