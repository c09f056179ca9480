/**
 * Decode speed of the tfjs-coded loader in Node and in headless Chromium, in MB/s of decoded
 * float32 weights: `quantforge quantize --target tfjs-coded --coder <c>` writes the model once per
 * coder, then the browser entry's `readCodedTfjsArtifactsFrom` (parse model.json, decode the
 * container, dequantize, assemble the artifacts) runs on in-memory files — the same function and
 * bytes in both, downloads excluded. Median and fastest of BENCH_REPEATS (default 15) runs after 3
 * warm-ups (on a loaded machine a run longer than a scheduler slice is often preempted: the
 * fastest run shows what the code does, the median what the machine gave).
 *
 *   pnpm build && pnpm --filter @quantforge/runner exec tsx --conditions=@quantforge/source bench/coded-loader.ts [model.json] [--quantizer-args …]
 *
 * Default model: the embedded MNIST MLP at 3 bits (uniform-mse). Needs /usr/bin/chromium.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { instantiate } from "@quantforge/core/host";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { readCodedTfjsArtifactsFrom } from "@quantforge/io-tfjs/coded-browser";

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const model = args[0] ?? join(HERE, "../../../packages/model-tfjs/models/mnist-mlp/model.json");
const qargs = args.length > 1 ? args.slice(1) : ["--quantizer", "uniform-mse", "--bits", "3"];
const repeats = Number(process.env.BENCH_REPEATS ?? 15);
const coders = [instantiate(ransCoder()), instantiate(huffmanCoder())];
const dir = mkdtempSync(join(tmpdir(), "qf-coded-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const bundle = await build({
  entryPoints: [join(HERE, "../src/__tests__/coded-page.ts")],
  bundle: true,
  write: false,
  platform: "browser",
  format: "esm",
  conditions: ["@quantforge/source", "browser"],
  logLevel: "silent",
  absWorkingDir: join(HERE, ".."),
});
const browser = await chromium.launch({ executablePath: process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const chromiumVersion = browser.version();
const page = await browser.newPage();
await page.route("http://quantforge.test/**", async (route) => {
  const path = new URL(route.request().url()).pathname;
  if (path === "/") return route.fulfill({ contentType: "text/html", body: `<script type="module" src="/app.js"></script>` });
  if (path === "/app.js") return route.fulfill({ contentType: "text/javascript", body: bundle.outputFiles[0]!.text });
  const file = normalize(join(dir, decodeURIComponent(path)));
  return file.startsWith(dir) ? route.fulfill({ body: readFileSync(file) }) : route.fulfill({ status: 404, body: "" });
});
await page.goto("http://quantforge.test/");
await page.waitForFunction(() => typeof (globalThis as { qfDecodeBench?: unknown }).qfDecodeBench === "function");

const rows = [];
for (const coder of ["rans", "huffman"]) {
  const out = join(dir, coder);
  execFileSync("node", [join(HERE, "../dist/cli.js"), "quantize", model, ...qargs, "--target", "tfjs-coded", "--coder", coder, "--samples", "1", "--out", out], { stdio: "ignore" });
  const json = readFileSync(join(out, "model.json"), "utf8");
  const parsed = JSON.parse(json) as { quantforge: { container: string }; weightsManifest: { paths: string[] }[] };
  const files = new Map<string, Uint8Array>();
  for (const n of [parsed.quantforge.container, ...parsed.weightsManifest.flatMap((g) => g.paths)]) files.set(n, readFileSync(join(out, n)));
  const ms: number[] = [];
  let weightBytes = 0;
  for (let i = 0; i < repeats + 3; i++) {
    const t0 = performance.now();
    const a = await readCodedTfjsArtifactsFrom({ modelJson: json, files }, { coders });
    if (i >= 3) ms.push(performance.now() - t0);
    weightBytes = (a.weightData as ArrayBuffer).byteLength;
  }
  const b = await page.evaluate(([url, n]) => (globalThis as unknown as { qfDecodeBench: (u: string, n: number) => Promise<{ weightBytes: number; ms: number[] }> }).qfDecodeBench(url, n), [
    `http://quantforge.test/${coder}/model.json`,
    repeats + 3,
  ] as const);
  if (b.weightBytes !== weightBytes) throw new Error(`the page decoded ${b.weightBytes} bytes of weights, Node ${weightBytes}`);
  const pageRuns = b.ms.slice(3);
  const mbps = (t: number) => +(weightBytes / 1e3 / t).toFixed(1);
  rows.push({
    coder,
    weightMB: +(weightBytes / 1e6).toFixed(3),
    containerBytes: files.get(parsed.quantforge.container)!.length,
    nodeMedianMBps: mbps(median(ms)),
    nodeBestMBps: mbps(Math.min(...ms)),
    chromiumMedianMBps: mbps(median(pageRuns)),
    chromiumBestMBps: mbps(Math.min(...pageRuns)),
  });
}
await browser.close();
rmSync(dir, { recursive: true, force: true });
console.log(`model ${model} (${qargs.join(" ")}), ${repeats} runs; Node ${process.version}, Chromium ${chromiumVersion}`);
console.table(rows);
