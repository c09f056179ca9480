/**
 * Benchmark (a script, not a test): `quantforge quantize` on a synthetic 2 GB safetensors file
 * (500 M float32 weights: 30 Laplacian tensors of 4096×4096) with uniform-MSE 4-bit + Huffman
 * into a `.qf` container. Reports weights per second and the quantize process's peak RSS.
 *
 *   pnpm turbo run build --filter=@quantforge/runner...
 *   node --import tsx apps/runner/bench/quantize-2gb.ts [--dir /tmp/qf-bench-2gb] [--tensors 30] [--keep]
 *
 * The file is generated streaming with io-safetensors' writer (constant memory), the quantize
 * command runs in a child process (so its peak RSS is its own), and every file is deleted at
 * the end unless --keep is given. Needs ~2.3 GB free in the directory's file system.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSafetensorsWriter } from "@quantforge/io-safetensors";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const dir = opt("--dir", "/tmp/qf-bench-2gb");
const tensors = Number(opt("--tensors", "30"));
const side = 4096;
const keep = args.includes("--keep");
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** Seeded xorshift32 Laplacian samples (σ = 0.02, like a trained layer's weights), fast enough for 500 M values. */
function fill(out: Float32Array, state: { s: number }): void {
  const b = 0.02 / Math.SQRT2;
  let s = state.s;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = ((s >>> 0) + 0.5) / 4294967296 - 0.5;
    out[i] = u < 0 ? b * Math.log1p(2 * u) : -b * Math.log1p(-2 * u);
  }
  state.s = s;
}

async function main(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  const need = tensors * side * side * 4 * 1.2;
  if (free < need) throw new Error(`${dir} has ${(free / 2 ** 30).toFixed(1)} GiB free; the benchmark needs ${(need / 2 ** 30).toFixed(1)} GiB.`);
  const input = join(dir, "big.safetensors");
  const out = join(dir, "out");
  try {
    const t0 = performance.now();
    const entries = Array.from({ length: tensors }, (_, i) => ({ name: `layers.${i}.weight`, shape: [side, side] }));
    const w = await createSafetensorsWriter(input, entries, { fsync: false });
    const chunk = new Float32Array(side * 256);
    const state = { s: 0x9e3779b9 };
    for (let t = 0; t < tensors; t++) {
      for (let r = 0; r < side; r += 256) {
        fill(chunk, state);
        await w.writeChunk(chunk);
      }
    }
    const layout = await w.close();
    const genSeconds = (performance.now() - t0) / 1000;
    console.error(`generated ${input}: ${layout.fileSize} bytes, ${tensors * side * side} weights in ${genSeconds.toFixed(1)} s`);

    const t1 = performance.now();
    const child = spawn(process.execPath, [cli, "quantize", input, "--quantizer", "uniform-mse", "--bits", "4", "--coder", "huffman", "--target", "qf", "--out", out, "--json"], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const code: number = await new Promise((res) => child.on("close", (c) => res(c ?? 1)));
    const wall = (performance.now() - t1) / 1000;
    if (code !== 0) throw new Error(`quantforge quantize exited with ${code}`);
    const r = JSON.parse(stdout) as { size: { before: number; after: number; ratio: number }; overall: { weights: number; sqnrDb: number }; timing: { seconds: number; weightsPerSecond: number; peakRssBytes: number }; mode: string };
    const result = {
      weights: r.overall.weights,
      inputBytes: r.size.before,
      outputBytes: r.size.after,
      ratio: Number(r.size.ratio.toFixed(3)),
      bitsPerWeight: Number(((8 * r.size.after) / r.overall.weights).toFixed(4)),
      sqnrDb: Number(r.overall.sqnrDb.toFixed(3)),
      mode: r.mode,
      quantizeSeconds: Number(r.timing.seconds.toFixed(1)),
      weightsPerSecond: Math.round(r.timing.weightsPerSecond),
      wallSecondsIncludingSha256: Number(wall.toFixed(1)),
      peakRssBytes: r.timing.peakRssBytes,
      peakRssGiB: Number((r.timing.peakRssBytes / 2 ** 30).toFixed(3)),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
