/**
 * Huffman encode/decode throughput vs node:zlib gzip on the same code stream (size and speed).
 * Codes: 1M (or BENCH_N) Laplacian weights quantized by a uniform step into 256 levels — the
 * kind of stream hessian-ecsq produces. "MB" = 10^6 codes (one byte each as raw input to gzip).
 *
 *   pnpm --filter @quantforge/coder-huffman bench
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { Bench } from "tinybench";
import { Rng, type LevelsCodebook, type QuantizedTensor } from "@quantforge/core";
import { instantiate } from "@quantforge/core/host";
import { entropyBits, huffmanCoder } from "../src/index.js";

const n = Number(process.env.BENCH_N ?? 1_000_000);
const coder = instantiate(huffmanCoder());
const cb: LevelsCodebook = { kind: "levels", id: "cb", levels: new Float32Array(256) };
const rows: Record<string, string | number>[] = [];

for (const step of [0.1, 0.4, 1.5]) {
  const rng = new Rng(7);
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = Math.max(0, Math.min(255, Math.round(rng.laplace(1) / step) + 128));
  const raw = Uint8Array.from(codes);
  const hist = new Float64Array(256);
  for (const c of codes) hist[c]!++;
  const tensor: QuantizedTensor = { name: "w", shape: [n], codebook: "cb", grouping: { kind: "tensor" }, codes };
  const hb = coder.encode(tensor, cb);
  const gz6 = gzipSync(raw, { level: 6 });
  const gz9 = gzipSync(raw, { level: 9 });
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add("huffman encode", () => {
      coder.encode(tensor, cb);
    })
    .add("huffman decode", () => {
      coder.decode(hb);
    })
    .add("gzip -6 compress", () => {
      gzipSync(raw, { level: 6 });
    })
    .add("gzip -9 compress", () => {
      gzipSync(raw, { level: 9 });
    })
    .add("gunzip", () => {
      gunzipSync(gz6);
    });
  await bench.run();
  const mbps = (name: string) => {
    const t = bench.tasks.find((x) => x.name === name)!;
    const r = t.result as unknown as { latency: { mean: number; p50?: number } };
    return +(n / 1e6 / ((r.latency.p50 ?? r.latency.mean) / 1000)).toFixed(1);
  };
  rows.push({
    step,
    pMax: +(Math.max(...hist) / n).toFixed(3),
    entropy: +entropyBits(hist).toFixed(4),
    huffmanBitsPerCode: +((hb.length * 8) / n).toFixed(4),
    gzip6BitsPerCode: +((gz6.length * 8) / n).toFixed(4),
    gzip9BitsPerCode: +((gz9.length * 8) / n).toFixed(4),
    huffmanEncMBs: mbps("huffman encode"),
    huffmanDecMBs: mbps("huffman decode"),
    gzip6MBs: mbps("gzip -6 compress"),
    gzip9MBs: mbps("gzip -9 compress"),
    gunzipMBs: mbps("gunzip"),
  });
}
console.log(`codes: ${n}, node ${process.version}`);
console.table(rows);
