/**
 * Every per-weight kernel of `quantforge run` (issue 18) in weights per second against a plain
 * Float32Array copy loop over the same 16M values, measured in the same run (interleaved rounds,
 * medians of per-round ratios: the machine is shared). Aim: each kernel within 3× of the copy.
 * Kernels run into preallocated buffers, so the ratio is the loop's own cost; the whole-process
 * bench (whole-process.ts) covers allocation and I/O.
 *
 *   pnpm --filter @quantforge/runner bench:kernels   (env: BENCH_ROUNDS, default 7)
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";
import { assertFinite, assertQuantizedTensor, codeArray, codeValueTable, dequantizeCodes, type AffineCodebook, type QuantizedTensor } from "@quantforge/core";
import { crc32 } from "@quantforge/core/format";
import { sampleTensor } from "@quantforge/core/testing";
import { accumulateStats, accumulateStatsCoded, emptyStats, startStats } from "@quantforge/metrics";
import { packBits, unpackBits } from "@quantforge/coder-fixed";
import { symbolCounts } from "@quantforge/evaluator-size";
import { groupMinMax, rtnCodes, rtnParams } from "@quantforge/quantizer-rtn";

const N = 16 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const w = sampleTensor("bench/kernels", [4096, 4096], { dist: "laplace", seed: 1, sigma: 0.05 });
const src = w.data;
const dst = new Float32Array(N);
// 8-bit codes in bytes, as rtn gives them (core's codeArray): the kernels below read and write
// what a run's do (one array kind per kernel, as in a run).
const codes = codeArray(N, 256);
const codes2 = codeArray(N, 256);
const out = new Float32Array(N);
const packed8 = new Uint8Array(N);
const packed4 = new Uint8Array(N / 2);
const min = new Float64Array(1),
  max = new Float64Array(1);
groupMinMax(src, { kind: "tensor" }, min, max);
const params = rtnParams(min, max, 1, { bits: 8, scheme: "asymmetric", zero: "exact" });
rtnCodes(src, { kind: "tensor" }, params, codes);
const cb: AffineCodebook = { kind: "affine", id: "b", levels: params.levels, scale: params.scale, zeroPoint: params.zeroPoint };
const tensor: QuantizedTensor = { name: "w", shape: [4096, 4096], codebook: "b", grouping: { kind: "tensor" }, codes };
const codes4 = codes.map((c) => c >>> 4);
packBits(codes, 8, packed8, 0);
packBits(codes4, 4, packed4, 0);
dequantizeCodes(cb, codes, null, out);
const table = codeValueTable(tensor, cb)!;
let sink = 0;

setFlagsFromString("--expose-gc");
setFlagsFromString("--no-flush-bytecode");
const gc = runInNewContext("gc") as () => void;

function copyInto(a: Float32Array, b: Float32Array): void {
  const n = a.length;
  for (let i = 0; i < n; i++) b[i] = a[i]!;
}

type Task = readonly [name: string, fn: () => void];
const BASE = "float32 copy loop";
const tasks: Task[] = [
  [
    BASE,
    () => {
      copyInto(src, dst);
      sink += dst[N - 1]!;
    },
  ],
  [
    "assertFinite (validation)",
    () => {
      assertFinite(w);
    },
  ],
  [
    "rtn min/max (group extremes + finiteness)",
    () => {
      groupMinMax(src, { kind: "tensor" }, min, max);
      sink += max[0]!;
    },
  ],
  [
    "rtn codes (quantize)",
    () => {
      rtnCodes(src, { kind: "tensor" }, params, codes2);
      sink += codes2[N - 1]!;
    },
  ],
  [
    "assertQuantizedTensor (code range)",
    () => {
      assertQuantizedTensor(tensor, cb);
    },
  ],
  [
    "packBits 8-bit",
    () => {
      sink += packBits(codes, 8, packed8, 0);
    },
  ],
  [
    "unpackBits 8-bit",
    () => {
      unpackBits(packed8, 0, 8, codes2);
      sink += codes2[N - 1]!;
    },
  ],
  [
    "packBits 4-bit",
    () => {
      sink += packBits(codes4, 4, packed4, 0);
    },
  ],
  [
    "unpackBits 4-bit",
    () => {
      unpackBits(packed4, 0, 4, codes2);
      sink += codes2[N - 1]!;
    },
  ],
  [
    "crc32 of the 8-bit stream (per weight)",
    () => {
      sink += crc32(packed8);
    },
  ],
  [
    "dequantize (affine)",
    () => {
      dequantizeCodes(cb, codes, null, out);
      sink += out[N - 1]!;
    },
  ],
  [
    "SQNR accumulation (Σw², Σe², max|e|)",
    () => {
      sink += accumulateStats(emptyStats(), src, out).noise;
    },
  ],
  [
    // What a worker runs when only the sums are read (runner's dequantizedErrorStats): no decoded array.
    "SQNR sums through the code table (dequantize fused)",
    () => {
      const run = startStats(emptyStats());
      for (let s = 0; s < N; s += 65536) accumulateStatsCoded(run, src, codes, table, s, Math.min(N, s + 65536));
      sink += run.noise;
    },
  ],
  [
    "symbol counts (histogram)",
    () => {
      sink += symbolCounts([tensor]).length;
    },
  ],
];

const times = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const bench = new Bench({ iterations: 1, time: 0, warmupIterations: r === 0 ? 1 : 0, warmupTime: 0, warmup: r === 0 });
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
  const ratio = median(ts.map((x, i) => x / copy[i]!));
  return { kernel: name, "ms (median)": ms.toFixed(1), "Mweights/s": (N / (ms / 1000) / 1e6).toFixed(0), "× copy": ratio.toFixed(2), "≤ 3×": ratio <= 3 ? "yes" : "NO" };
});
console.log(`kernels: ${N.toLocaleString("en")} weights (Laplacian), 8-bit rtn codes; ${ROUNDS} rounds; node ${process.version}`);
console.table(rows);
if (sink === 42) console.log("");
