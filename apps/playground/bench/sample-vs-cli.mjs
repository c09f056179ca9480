// Bench (issue 21): the page's sample compare (mnist-mlp weights; rtn, uniform-mse,
// support-region, hessian-ecsq, auto × 2,4,8 bits × fixed, huffman) in headless Chromium against
// `quantforge compare --weights` on the same weights and cells. Needs `pnpm build` first.
// Usage: node apps/playground/bench/sample-vs-cli.mjs  (from the repo root)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { chromium } from "playwright-core";

const root = process.cwd();
const dist = join(root, "apps/playground/dist");
const dir = mkdtempSync(join(tmpdir(), "qf-pg-bench-"));
// The sample's float32 weights as a .safetensors file, in manifest order.
const mdir = join(root, "packages/model-tfjs/models/mnist-mlp");
const manifest = JSON.parse(readFileSync(join(mdir, "model.json"), "utf8")).weightsManifest;
const bin = readFileSync(join(mdir, "weights.bin"));
const header = {};
const parts = [];
let off = 0, src = 0;
for (const g of manifest) for (const w of g.weights) {
  const n = w.shape.reduce((a, b) => a * b, 1) * 4;
  if (w.dtype === "float32") { header[w.name] = { dtype: "F32", shape: w.shape, data_offsets: [off, off + n] }; parts.push(bin.subarray(src, src + n)); off += n; }
  src += n;
}
let h = Buffer.from(JSON.stringify(header));
h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h.length));
const weights = join(dir, "mnist-mlp.safetensors");
writeFileSync(weights, Buffer.concat([len, h, ...parts]));

const args = ["apps/runner/dist/cli.js", "compare", "--weights", weights, "--quantizers", "rtn,uniform-mse,support-region,hessian-ecsq,auto", "--bits", "2,4,8", "--coders", "fixed,huffman", "--seed", "1", "--out", join(dir, "out")];
const runs = Number(process.env.RUNS ?? 3);
const cli = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  try { execFileSync("node", args, { stdio: "ignore" }); } catch (e) { if (e.status !== 1) throw e; }
  cli.push((performance.now() - t) / 1000);
}

const server = createServer((req, res) => {
  const p = new URL(req.url, "http://x").pathname;
  try { const b = readFileSync(join(dist, p === "/" ? "index.html" : p.replace(/\.\.+/g, ""))); res.writeHead(200, { "content-type": { ".html": "text/html", ".js": "text/javascript" }[extname(p)] ?? (p === "/" ? "text/html" : "application/octet-stream") }); res.end(b); } catch { res.writeHead(404); res.end(); }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await chromium.launch({ executablePath: process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const pageRuns = [];
for (let i = 0; i < runs; i++) {
  await page.getByTestId("sample-mnist-mlp").click();
  const t = performance.now();
  await page.getByTestId("run").click();
  await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("done"), null, { timeout: 300_000 });
  pageRuns.push((performance.now() - t) / 1000);
}
const rows = await page.getByTestId("result-row").count();
const okRows = await page.getByTestId("download").count();
await browser.close();
server.close();
rmSync(dir, { recursive: true, force: true });
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const out = { cells: 30, pageRows: rows, pageOkRows: okRows, cliSeconds: cli.map((s) => +s.toFixed(2)), pageSeconds: pageRuns.map((s) => +s.toFixed(2)), ratioMedian: +(med(pageRuns) / med(cli)).toFixed(2) };
console.log(JSON.stringify(out));
