// Benchmark: cells per minute of `quantforge compare` with --jobs 1 (main thread) vs --jobs 2
// (two worker threads), on the issue-8 acceptance command. Runs the built CLI (pnpm build first):
//   pnpm --filter @quantforge/runner bench:compare [--repeat 3 --jobs 1,2,4 --model mnist-mlp --bits 2-8 --coders fixed,huffman]
// Reports wall time of the whole process (start-up and model loading included) and of the
// compare phase alone (results.json totals.seconds), plus the load average, since other work on
// the machine skews both.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const repeat = Number(arg("repeat", "1"));
const jobsList = arg("jobs", "1,2").split(",").map(Number);
const model = arg("model", "mnist-mlp");
const cliPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "qf-bench-compare-"));
const bits = arg("bits", "2,3,4,8");
const coders = arg("coders", "fixed");
const args = ["compare", "--model", model, "--quantizers", "rtn,uniform-mse,support-region", "--bits", bits, "--coders", coders, "--quiet"];

console.log(
  `node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`command: quantforge ${args.join(" ")} --out <tmp> --jobs N   (${repeat} run(s) each)`);
const rows: string[] = [];
try {
  for (const jobs of jobsList) {
    for (let k = 0; k < repeat; k++) {
      const out = join(dir, `j${jobs}-${k}`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [cliPath, ...args, "--out", out, "--jobs", String(jobs)], { encoding: "utf8" });
      const wall = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`--jobs ${jobs} failed (${r.status}): ${r.stderr}`);
      const doc = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { totals: { finished: number; seconds: number } };
      const cells = doc.totals.finished;
      rows.push(`| ${jobs} | ${k + 1} | ${cells} | ${wall.toFixed(1)} | ${((60 * cells) / wall).toFixed(1)} | ${doc.totals.seconds.toFixed(1)} | ${((60 * cells) / doc.totals.seconds).toFixed(1)} | ${loadavg()[0]!.toFixed(2)} |`);
      console.log(rows[rows.length - 1]);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(["", "| jobs | run | cells | wall s | cells/min (wall) | compare s | cells/min (compare) | load 1m |", "|---:|---:|---:|---:|---:|---:|---:|---:|", ...rows].join("\n"));
