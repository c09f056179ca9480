/**
 * Throughput of fixed-length pack + unpack on 16M codes at 8 and 4 bits, against a plain
 * Float32Array copy loop of 16M values measured in the same run (issue 2 acceptance: report
 * weights/second and the ratio to the copy loop). Run: `pnpm --filter @quantforge/coder-fixed bench`.
 */
import { Bench } from "tinybench";
import { crc32, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { decodeFixed, encodeFixed, packBits, packedBytes, unpackBits } from "../src/index.js";

const N = 16 * 1024 * 1024;
const ITER = Number(process.env.BENCH_ITERATIONS ?? 6);

function tensorOf(bits: number): { t: QuantizedTensor; cb: Codebook } {
  const codes = new Uint32Array(N);
  let s = 12345;
  for (let i = 0; i < N; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; codes[i] = s >>> (32 - bits); }
  const cb: Codebook = { kind: "affine", id: "cb", levels: 2 ** bits, scale: new Float32Array([0.01]), zeroPoint: new Float32Array([2 ** (bits - 1)]) };
  return { t: { name: "bench/kernel", shape: [4096, 4096], codebook: "cb", grouping: { kind: "tensor" }, codes }, cb };
}

const src = new Float32Array(N).map((_, i) => Math.sin(i));
const dst = new Float32Array(N);
const w8 = tensorOf(8), w4 = tensorOf(4);
for (const { t, cb } of [w8, w4]) {
  const back = decodeFixed(encodeFixed(t, cb)).codes;
  for (let i = 0; i < N; i++) if (back[i] !== t.codes[i]) throw new Error(`round trip failed at ${i}`);
}
let sink = 0;

const bench = new Bench({ iterations: ITER, time: 0, warmupIterations: 1, warmupTime: 0 });
bench
  .add("float32 copy loop", () => { for (let i = 0; i < N; i++) dst[i] = src[i]!; sink += dst[N - 1]!; })
  .add("fixed pack+unpack 8-bit", () => { sink += decodeFixed(encodeFixed(w8.t, w8.cb)).codes[N - 1]!; })
  .add("fixed pack+unpack 4-bit", () => { sink += decodeFixed(encodeFixed(w4.t, w4.cb)).codes[N - 1]!; })
  .add("raw packBits+unpackBits 4-bit (no header/CRC)", () => {
    const buf = new Uint8Array(packedBytes(N, 4));
    packBits(w4.t.codes, 4, buf, 0);
    const out = new Uint32Array(N);
    unpackBits(buf, 0, 4, out);
    sink += out[N - 1]!;
  })
  .add("crc32 of 16 MB", () => { sink += crc32(new Uint8Array(src.buffer, 0, N)); });

await bench.run();

const mean = (name: string): number => {
  const r = bench.tasks.find((t) => t.name === name)!.result;
  if (r.state !== "completed") throw new Error(`${name}: ${r.state}`);
  return r.latency.mean;
};
const copy = mean("float32 copy loop");
const rows = bench.tasks.map((t) => {
  const ms = mean(t.name);
  return { task: t.name, "ms/op": +ms.toFixed(1), "weights/s": (N / (ms / 1000)).toExponential(3), "× copy loop": +(ms / copy).toFixed(2) };
});
console.log(`fixed coder, ${N} codes, ${ITER} iterations each, node ${process.version}`);
console.table(rows);
console.log(JSON.stringify({ n: N, results: rows }));
if (sink === 0.5) console.log(""); // keep results observable
