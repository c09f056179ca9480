/**
 * Whole-process figures of issue 18, every command against its peer measured in the same run
 * (interleaved rounds, medians of the per-round ratios: the machine is shared):
 *
 *   run --quantizer rtn --bits 8 --coder fixed|huffman --out x.qf --json on 50M Laplacian weights
 *     (default --threads, i.e. the available parallelism, and --threads 1)
 *     (3 × 4096×4096 in /tmp, made with `quantforge synth` once, never committed)
 *     vs naive_rtn.py (numpy; skipped when python3-numpy is absent)
 *   quantforge list                      vs node -e 0
 *   run --weights on a 1-tensor file     vs node -e 0
 *   decode of that run's .qf, synth of a 1-tensor file   vs node -e 0
 *
 *   pnpm --filter @quantforge/runner build && pnpm --filter @quantforge/runner bench:process
 *   (env: BENCH_ROUNDS, default 3; BENCH_DIR, default /tmp/qf-bench-process;
 *    BENCH_ONLY=startup: only the start-up rows, without the 50M-weight runs and numpy)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const startupOnly = process.env.BENCH_ONLY === "startup";
const dir = process.env.BENCH_DIR ?? "/tmp/qf-bench-process";
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const naive = fileURLToPath(new URL("./naive_rtn.py", import.meta.url));
mkdirSync(dir, { recursive: true });
const big = join(dir, "w50m.safetensors"),
  one = join(dir, "one.safetensors");

function sh(cmd: string, args: readonly string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

if (!startupOnly && !existsSync(big)) sh(process.execPath, [cli, "synth", "--out", big, "--tensors", "l0.weight:4096x4096:0.02,l1.weight:4096x4096:0.02,l2.weight:4096x4096:0.02"]);
if (!existsSync(one)) sh(process.execPath, [cli, "synth", "--out", one, "--tensors", "fc.weight:256x256:0.05"]);
// The file decode reads; the timed run writes the same bytes to one.qf.
sh(process.execPath, [cli, "run", "--weights", one, "--quantizer", "rtn", "--bits", "8", "--out", join(dir, "one-decode.qf")]);
// Debian's python3-numpy lives under /usr/bin/python3; a python3 earlier on PATH may lack it.
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
const hasNumpy = python !== undefined && !startupOnly;

type Task = readonly [name: string, cmd: string, args: readonly string[]];
const node = process.execPath;
const run = (coder: string, threads?: number): string[] => [
  cli,
  "run",
  "--weights",
  big,
  "--quantizer",
  "rtn",
  "--bits",
  "8",
  "--coder",
  coder,
  "--out",
  join(dir, `x-${coder}.qf`),
  "--json",
  ...(threads ? ["--threads", String(threads)] : []),
];
const tasks: Task[] = [
  ["node -e 0", node, ["-e", "0"]],
  ["quantforge list", node, [cli, "list"]],
  ["run --weights (1 tensor, 256×256)", node, [cli, "run", "--weights", one, "--quantizer", "rtn", "--bits", "8", "--out", join(dir, "one.qf"), "--json"]],
  ["decode (1 tensor)", node, [cli, "decode", join(dir, "one-decode.qf"), "--out", join(dir, "one-decoded.safetensors")]],
  ["synth (1 tensor, 256×256)", node, [cli, "synth", "--out", join(dir, "one-synth.safetensors"), "--tensors", "fc.weight:256x256:0.05"]],
  ...(startupOnly
    ? []
    : ([
        ["run rtn 8-bit fixed (50M weights)", node, run("fixed")],
        ["run rtn 8-bit huffman (50M weights)", node, run("huffman")],
        ["run rtn 8-bit fixed --threads 1", node, run("fixed", 1)],
        ["run rtn 8-bit huffman --threads 1", node, run("huffman", 1)],
      ] as Task[])),
  ...(hasNumpy ? [["naive numpy rtn 8-bit (50M weights)", python!, [naive, big, join(dir, "np.bin")]] as Task] : []),
];
const times = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
const loadBefore = loadavg()[0]!;
for (let r = 0; r < rounds; r++) for (const [name, cmd, args] of tasks) times.get(name)!.push(sh(cmd, args));

const median = (a: readonly number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ratio = (a: string, b: string): string => {
  const x = times.get(a),
    y = times.get(b);
  return x && y ? median(x.map((v, i) => v / y[i]!)).toFixed(2) : "n/a (numpy absent)";
};
console.log(`whole process, ${rounds} rounds, node ${process.version}, load average ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}; medians in seconds:`);
console.table(tasks.map(([n]) => ({ command: n, "s (median)": median(times.get(n)!).toFixed(2) })));
const np = "naive numpy rtn 8-bit (50M weights)";
console.table([
  ...(startupOnly
    ? []
    : [
        { ratio: "run rtn 8 fixed / numpy", value: ratio("run rtn 8-bit fixed (50M weights)", np), target: "≤ 0.5" },
        { ratio: "run rtn 8 huffman / numpy", value: ratio("run rtn 8-bit huffman (50M weights)", np), target: "≤ 0.8" },
        { ratio: "run rtn 8 fixed --threads 1 / numpy", value: ratio("run rtn 8-bit fixed --threads 1", np), target: "" },
        { ratio: "run rtn 8 huffman --threads 1 / numpy", value: ratio("run rtn 8-bit huffman --threads 1", np), target: "" },
      ]),
  { ratio: "list / node -e 0", value: ratio("quantforge list", "node -e 0"), target: "≤ 2.5" },
  { ratio: "run --weights 1 tensor / node -e 0", value: ratio("run --weights (1 tensor, 256×256)", "node -e 0"), target: "≤ 3" },
  { ratio: "decode 1 tensor / node -e 0", value: ratio("decode (1 tensor)", "node -e 0"), target: "" },
  { ratio: "synth 1 tensor / node -e 0", value: ratio("synth (1 tensor, 256×256)", "node -e 0"), target: "" },
]);
