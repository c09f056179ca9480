/**
 * Issue 18's k-means figure, whole process against whole process in one run (interleaved
 * rounds, medians of per-round ratios: the machine is shared): 1-D k-means at k = 256 on 1M
 * Laplacian weights (1000×1000, σ = 0.0707, i.e. scale b = 0.05),
 *
 *   quantforge run --quantizer hessian-ecsq --option mode=kmeans --option clusters=256 --json
 *   vs sklearn_kmeans.py (scikit-learn KMeans, k-means++ start, n_init=1; needs python3-sklearn)
 *
 * and the distortion each reaches (MSE of the weights replaced by float32 centres).
 *
 *   pnpm --filter @quantforge/runner build && node --import tsx apps/runner/bench/kmeans-process.ts
 *   (env: BENCH_ROUNDS, default 3; BENCH_DIR, default /tmp/qf-bench-kmeans)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = process.env.BENCH_DIR ?? "/tmp/qf-bench-kmeans";
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const peer = fileURLToPath(new URL("./sklearn_kmeans.py", import.meta.url));
mkdirSync(dir, { recursive: true });
const w = join(dir, "w1m.safetensors");

function sh(cmd: string, args: readonly string[]): { seconds: number; out: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return { seconds: (performance.now() - t) / 1000, out: r.stdout };
}

if (!existsSync(w)) sh(process.execPath, [cli, "synth", "--out", w, "--seed", "2017", "--tensors", "w:1000x1000:0.0707"]);
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import sklearn"], { stdio: "ignore" }).status === 0);
if (!python) throw new Error("scikit-learn is not installed (Debian: apt-get install -y python3-sklearn).");

const ours: number[] = [],
  theirs: number[] = [],
  fits: number[] = [];
let oursMse = NaN,
  theirMse = NaN;
for (let r = 0; r < rounds; r++) {
  const a = sh(process.execPath, [cli, "run", "--weights", w, "--quantizer", "hessian-ecsq", "--option", "mode=kmeans", "--option", "clusters=256", "--json"]);
  ours.push(a.seconds);
  oursMse = (JSON.parse(a.out) as { tensors: { mse: number }[] }).tensors[0]!.mse;
  const b = sh(python, [peer, w, "256"]);
  theirs.push(b.seconds);
  const p = JSON.parse(b.out) as { mse: number; fitSeconds: number };
  theirMse = p.mse;
  fits.push(p.fitSeconds);
}
const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`1-D k-means k=256 on 1M weights, whole process, ${rounds} rounds, node ${process.version}:`);
console.table([
  { command: "quantforge run hessian-ecsq mode=kmeans", "s (median)": median(ours).toFixed(2), mse: oursMse.toExponential(4) },
  { command: "sklearn KMeans (whole process)", "s (median)": median(theirs).toFixed(2), mse: theirMse.toExponential(4) },
  { command: "sklearn KMeans (fit alone)", "s (median)": median(fits).toFixed(2), mse: "" },
]);
console.log(`sklearn whole / quantforge whole: ${median(theirs.map((t, i) => t / ours[i]!)).toFixed(1)}× (target ≥ 15×); distortion ratio ours/sklearn ${(oursMse / theirMse).toFixed(4)} (≤ 1 is no more distortion)`);
