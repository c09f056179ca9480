/**
 * Throughput of fixed-length pack + unpack on 16M codes at 8 and 4 bits, against a plain
 * Float32Array copy loop of 16M values measured in the same run (issue 2 acceptance: report
 * weights/second and the ratio to the copy loop). Run: `pnpm --filter @quantforge/coder-fixed bench`.
 */
import { Bench } from "tinybench";
import type { Codebook, QuantizedTensor } from "@quantforge/core";
import { crc32 } from "@quantforge/core/format";
import { decodeFixed, encodeFixed, packBits, packedBytes, unpackBits } from "../src/index.js";

const N = 16 * 1024 * 1024;
const ITER = Number(process.env.BENCH_ITERATIONS ?? 3);

function tensorOf(bits: number): { t: QuantizedTensor; cb: Codebook } {
  const codes = new Uint32Array(N);
  let s = 12345;
  for (let i = 0; i < N; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    codes[i] = s >>> (32 - bits);
  }
  const cb: Codebook = { kind: "affine", id: "cb", levels: 2 ** bits, scale: new Float32Array([0.01]), zeroPoint: new Float32Array([2 ** (bits - 1)]) };
  return { t: { name: "bench/kernel", shape: [4096, 4096], codebook: "cb", grouping: { kind: "tensor" }, codes }, cb };
}

const src = new Float32Array(N).map((_, i) => Math.sin(i));
const dst = new Float32Array(N);
const w8 = tensorOf(8),
  w4 = tensorOf(4);
for (const { t, cb } of [w8, w4]) {
  const back = decodeFixed(encodeFixed(t, cb)).codes;
  for (let i = 0; i < N; i++) if (back[i] !== t.codes[i]) throw new Error(`round trip failed at ${i}`);
}
let sink = 0;

type Task = readonly [name: string, fn: () => void];
const tasks: Task[] = [
  [
    "float32 copy loop",
    () => {
      for (let i = 0; i < N; i++) dst[i] = src[i]!;
      sink += dst[N - 1]!;
    },
  ],
  [
    "fixed pack+unpack 8-bit",
    () => {
      sink += decodeFixed(encodeFixed(w8.t, w8.cb)).codes[N - 1]!;
    },
  ],
  [
    "fixed pack+unpack 4-bit",
    () => {
      sink += decodeFixed(encodeFixed(w4.t, w4.cb)).codes[N - 1]!;
    },
  ],
  [
    "  pack 8-bit (encodeFixed)",
    () => {
      sink += encodeFixed(w8.t, w8.cb).length;
    },
  ],
  [
    "  unpack 8-bit (decodeFixed)",
    () => {
      sink += decodeFixed(s8).codes.length;
    },
  ],
  [
    "  pack 4-bit (encodeFixed)",
    () => {
      sink += encodeFixed(w4.t, w4.cb).length;
    },
  ],
  [
    "  unpack 4-bit (decodeFixed)",
    () => {
      sink += decodeFixed(s4).codes.length;
    },
  ],
  [
    "  packBits+unpackBits 4-bit, preallocated, no header/CRC",
    () => {
      packBits(w4.t.codes, 4, buf4, 0);
      unpackBits(buf4, 0, 4, out4);
      sink += out4[N - 1]!;
    },
  ],
  [
    "  crc32 of 16 MB",
    () => {
      sink += crc32(new Uint8Array(src.buffer, 0, N));
    },
  ],
  // The floor of any decoder that returns fresh Uint32Array codes: allocating and touching 64 MB.
  [
    "  allocate + fill a fresh 16M Uint32Array",
    () => {
      const a = new Uint32Array(N);
      a.fill(1);
      sink += a[N - 1]!;
    },
  ],
];
const s8 = encodeFixed(w8.t, w8.cb),
  s4 = encodeFixed(w4.t, w4.cb);
const buf4 = new Uint8Array(packedBytes(N, 4)),
  out4 = new Uint32Array(N);

// The machine is shared, so load drifts during a run: measure in interleaved rounds (every task
// once per round, tinybench per round) and report the median time and the median per-round ratio
// to the copy loop of the same round.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const times = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const bench = new Bench({ iterations: ITER, time: 0, warmupIterations: r === 0 ? 1 : 0, warmupTime: 0, warmup: r === 0 });
  for (const [name, fn] of tasks) bench.add(name, fn);
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
const copyTimes = times.get("float32 copy loop")!;
const rows = tasks.map(([name]) => {
  const ts = times.get(name)!;
  const ms = median(ts);
  return { task: name, "ms/op": +ms.toFixed(1), "weights/s": +(N / (ms / 1000)).toPrecision(3), "× copy loop": +median(ts.map((t, r) => t / copyTimes[r]!)).toFixed(2) };
});
console.log(
  `fixed coder: ${N} codes, ${ROUNDS} rounds × ${ITER} iterations, node ${process.version}, load average ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.table(rows);
console.log(JSON.stringify({ n: N, rounds: ROUNDS, iterations: ITER, results: rows }));
if (sink === 0.5) console.log(""); // keeps the results observable to the optimizer
