/**
 * Throughput and peak memory of @quantforge/io-safetensors on a 64M-float (256 MB) file.
 *
 *   pnpm --filter @quantforge/io-safetensors bench            # 64M floats
 *   QF_BENCH_FLOATS=16777216 QF_BENCH_REPS=5 pnpm --filter @quantforge/io-safetensors bench
 *
 * Each phase runs in a fresh child process, so its peak RSS (the kernel's `maxRSS`, plus
 * `process.memoryUsage().rss` sampled every 5 ms and after every tensor) is not inflated by earlier
 * phases. `idle` is the same child doing nothing: the runtime's own footprint. Reads follow writes,
 * so they are served from the page cache (memory bandwidth + conversion, not disk speed).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { WeightTensor } from "@quantforge/core";
import { createSafetensorsWriter, loadSafetensors, readSafetensorsHeader, readTensorChunks, saveSafetensors, streamSafetensors } from "../src/index.js";

const FLOATS = Number(process.env.QF_BENCH_FLOATS ?? 64 * 1024 * 1024);
const REPS = Number(process.env.QF_BENCH_REPS ?? 3);
const TENSORS = 16; // the multi-tensor layout: 16 tensors of FLOATS/16 values
const MB = 1e6;

interface PhaseResult {
  phase: string;
  bytes: number;
  seconds: number;
  maxRssMB: number;
  sampledRssMB: number;
  check: number;
}

/** Deterministic, cheap, non-trivial values (no per-element allocation). */
function fill(a: Float32Array, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    a[i] = (x / 4294967296 - 0.5) * 0.2;
  }
  return a;
}

/** Running sum continued from `s`, so summing piecewise equals summing in one pass. */
function checksum(a: Float32Array, s = 0): number {
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

let sampled = 0;
const sample = (): void => {
  sampled = Math.max(sampled, process.memoryUsage().rss);
};

async function phase(name: string, dir: string): Promise<PhaseResult> {
  const multi = join(dir, "multi.safetensors");
  const single = join(dir, "single.safetensors");
  const f16 = join(dir, "f16.safetensors");
  const per = Math.floor(FLOATS / TENSORS);
  const entries = Array.from({ length: TENSORS }, (_, i) => ({ name: `layer.${i}.weight`, shape: [per / 1024, 1024] }));
  let seconds = 0;
  let bytes = 0;
  let check = 0;
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const r = await fn();
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    sample();
    return r;
  };
  switch (name) {
    case "idle":
      break;
    case "write-stream": {
      // writer API: one tensor generated, written and dropped at a time
      const w = await timed(() => createSafetensorsWriter(multi, entries));
      for (let i = 0; i < TENSORS; i++) {
        const t: WeightTensor = { name: entries[i]!.name, shape: entries[i]!.shape, data: fill(new Float32Array(per), i + 1) };
        check = checksum(t.data, check);
        await timed(() => w.write(t));
      }
      bytes = (await timed(() => w.close())).fileSize;
      break;
    }
    case "save-single": {
      // saveSafetensors of one 64M-float tensor held in memory
      const t: WeightTensor = { name: "big", shape: [FLOATS / 1024, 1024], data: fill(new Float32Array(FLOATS), 7) };
      check = checksum(t.data);
      bytes = (await timed(() => saveSafetensors(single, [t]))).fileSize;
      break;
    }
    case "write-f16": {
      // F16 fixture written by hand (the API writes F32 only); not timed as API work
      const n = FLOATS;
      const json = new TextEncoder().encode(JSON.stringify({ h: { dtype: "F16", shape: [n / 1024, 1024], data_offsets: [0, n * 2] } }));
      const pre = new Uint8Array(8);
      new DataView(pre.buffer).setBigUint64(0, BigInt(json.length), true);
      const fh = await open(f16, "w");
      await fh.write(pre, 0, 8, 0);
      await fh.write(json, 0, json.length, 8);
      const chunk = new Uint16Array(1 << 22);
      for (let i = 0; i < chunk.length; i++) chunk[i] = (0x3000 + (i % 0x1000)) | (i & 1 ? 0x8000 : 0);
      for (let o = 0; o < n; o += chunk.length) await fh.write(new Uint8Array(chunk.buffer), 0, Math.min(chunk.length, n - o) * 2, 8 + json.length + o * 2);
      await fh.close();
      bytes = (await stat(f16)).size;
      break;
    }
    case "baseline-write": {
      // plain fs: one 256 MB buffer written in 64 MB calls + fsync (the floor for writes)
      const data = fill(new Float32Array(FLOATS), 7);
      await timed(async () => {
        const fh = await open(join(dir, "baseline.bin"), "w");
        const b = new Uint8Array(data.buffer);
        for (let o = 0; o < b.length; o += 1 << 26) await fh.write(b, o, Math.min(1 << 26, b.length - o), o);
        await fh.sync();
        await fh.close();
      });
      bytes = data.byteLength;
      break;
    }
    case "baseline-read": // plain fs.readFile of the same file into one Buffer (the floor for reads)
      await timed(async () => {
        check = (await readFile(join(dir, "baseline.bin"))).length;
      });
      bytes = (await stat(join(dir, "baseline.bin"))).size;
      break;
    case "baseline-copy": {
      // in-memory: allocate 256 MB and copy into it (page faults + memory bandwidth)
      const src = fill(new Float32Array(FLOATS), 7);
      await timed(async () => {
        const d = new Float32Array(FLOATS);
        d.set(src);
        check = d[FLOATS - 1]!;
      });
      bytes = src.byteLength;
      break;
    }
    case "stream-multi": // streamSafetensors over 16 tensors: peak ≈ one tensor
      {
        // time only the reads (next()), not the consumer's checksum
        const it = streamSafetensors(multi);
        for (;;) {
          const r = await timed(() => it.next());
          if (r.done === true) break;
          check = checksum(r.value.data, check);
        }
      }
      bytes = (await stat(multi)).size;
      break;
    case "load-multi": // loadSafetensors: every tensor resident, never the file twice
      for (const t of await timed(() => loadSafetensors(multi))) check = checksum(t.data, check);
      bytes = (await stat(multi)).size;
      break;
    case "load-single":
      for (const t of await timed(() => loadSafetensors(single))) check = checksum(t.data, check);
      bytes = (await stat(single)).size;
      break;
    case "chunks-single": // readTensorChunks: 8 MiB pieces of one 256 MB tensor
      {
        const h = await timed(() => readSafetensorsHeader(single));
        const it = readTensorChunks(single, h.tensors[0]!);
        for (;;) {
          const r = await timed(() => it.next());
          if (r.done === true) break;
          check = checksum(r.value, check);
        }
      }
      bytes = (await stat(single)).size;
      break;
    case "load-f16": // F16 → float32 widening: output is twice the file
      for (const t of await timed(() => loadSafetensors(f16))) check = checksum(t.data, check);
      bytes = (await stat(f16)).size;
      break;
    default:
      throw new Error(`unknown phase ${name}`);
  }
  sample();
  return { phase: name, bytes, seconds, maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB, sampledRssMB: sampled / MB, check };
}

const self = fileURLToPath(import.meta.url);
const arg = (k: string): string | undefined => {
  const i = process.argv.indexOf(k);
  return i < 0 ? undefined : process.argv[i + 1];
};

if (arg("--phase") !== undefined) {
  const timer = setInterval(sample, 5);
  const r = await phase(arg("--phase")!, arg("--dir")!);
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  const dir = await mkdtemp(join(tmpdir(), "qf-st-bench-"));
  const phases = ["idle", "baseline-copy", "baseline-write", "baseline-read", "write-stream", "save-single", "write-f16", "stream-multi", "load-multi", "load-single", "chunks-single", "load-f16"];
  const runs = new Map<string, PhaseResult[]>(phases.map((p) => [p, []]));
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const p of phases) {
        const r = spawnSync(process.execPath, [...process.execArgv, self, "--phase", p, "--dir", dir], { encoding: "utf8", maxBuffer: 1 << 20 });
        if (r.status !== 0) throw new Error(`phase ${p} failed:\n${r.stderr}`);
        runs.get(p)!.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as PhaseResult);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => {
    const a = [...xs].sort((x, y) => x - y);
    return a[a.length >> 1]!;
  };
  const idle = median(runs.get("idle")!.map((r) => r.maxRssMB));
  console.log(`io-safetensors bench: ${FLOATS} floats (${((FLOATS * 4) / MB).toFixed(0)} MB of float32), ${TENSORS}-tensor and 1-tensor files, node ${process.version}, ${REPS} runs per phase (fresh process each)`);
  console.log(`idle child peak RSS: ${idle.toFixed(0)} MB (subtracted in the "over idle" column); MB/s = file MB / time, best and median of ${REPS}\n`);
  console.log("| phase | file MB | best s | best MB/s | median MB/s | peak RSS MB | over idle MB | over idle / file |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of phases.slice(1)) {
    const rs = runs.get(p)!;
    const bytes = rs[0]!.bytes / MB;
    const best = Math.min(...rs.map((r) => r.seconds));
    const rate = (t: number): string => (t > 0 ? (bytes / t).toFixed(0) : "–");
    const rss = median(rs.map((r) => r.maxRssMB));
    console.log(`| ${p} | ${bytes.toFixed(0)} | ${best.toFixed(3)} | ${rate(best)} | ${rate(median(rs.map((r) => r.seconds)))} | ${rss.toFixed(0)} | ${(rss - idle).toFixed(0)} | ${((rss - idle) / bytes).toFixed(2)} |`);
  }
  // Reads must see exactly what was written (running float sums in the same order are bit-identical).
  for (let rep = 0; rep < REPS; rep++) {
    const sum = (p: string): number => runs.get(p)![rep]!.check;
    if (sum("write-stream") !== sum("stream-multi") || sum("stream-multi") !== sum("load-multi")) throw new Error("multi-tensor checksums differ");
    if (sum("save-single") !== sum("load-single") || sum("load-single") !== sum("chunks-single")) throw new Error("single-tensor checksums differ");
  }
  console.log("\nchecksums agree in every run (write-stream = stream-multi = load-multi; save-single = load-single = chunks-single)");
}
