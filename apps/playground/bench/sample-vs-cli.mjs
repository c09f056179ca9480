// Bench (issue 21): the page's sample compare in headless Chromium against the CLI on the same
// cells, seed 1. Needs `pnpm build` first. Usage (from the repo root):
//   node apps/playground/bench/sample-vs-cli.mjs              weights only: mnist-mlp's weights; rtn,
//     uniform-mse, support-region, hessian-ecsq, auto × 2,4,8 bits × fixed, huffman (30 cells), page
//     with "run a tfjs model" unchecked, CLI `compare --weights`;
//   MODE=model node apps/playground/bench/sample-vs-cli.mjs   model-aware: the page runs the model
//     (fidelity on 32 seeded inputs) and the CLI `compare --model` a copy of model.json + weights.bin
//     (no training.json, so it is a plain tfjs layers model like any upload); auto is left out (its
//     25 s budget per cell would dominate both), 24 cells.
/* global document -- the functions given to page.evaluate and page.waitForFunction run in the browser */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
let off = 0,
  src = 0;
for (const g of manifest)
  for (const w of g.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1) * 4;
    if (w.dtype === "float32") {
      header[w.name] = { dtype: "F32", shape: w.shape, data_offsets: [off, off + n] };
      parts.push(bin.subarray(src, src + n));
      off += n;
    }
    src += n;
  }
let h = Buffer.from(JSON.stringify(header));
h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
const len = Buffer.alloc(8);
len.writeBigUInt64LE(BigInt(h.length));
const weights = join(dir, "mnist-mlp.safetensors");
writeFileSync(weights, Buffer.concat([len, h, ...parts]));

const modelAware = process.env.MODE === "model";
const methods = modelAware ? ["rtn", "uniform-mse", "support-region", "hessian-ecsq"] : ["rtn", "uniform-mse", "support-region", "hessian-ecsq", "auto"];
copyFileSync(join(mdir, "model.json"), join(dir, "model.json"));
copyFileSync(join(mdir, "weights.bin"), join(dir, "weights.bin"));
const input = modelAware ? ["--model", join(dir, "model.json")] : ["--weights", weights];
const args = ["apps/runner/dist/cli.js", "compare", ...input, "--quantizers", methods.join(","), "--bits", "2,4,8", "--coders", "fixed,huffman", "--seed", "1", "--out", join(dir, "out")];
const runs = Number(process.env.RUNS ?? 3);
const cli = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  try {
    execFileSync("node", args, { stdio: "ignore" });
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  cli.push((performance.now() - t) / 1000);
}

const server = createServer((req, res) => {
  const p = new URL(req.url, "http://x").pathname;
  try {
    const b = readFileSync(join(dist, p === "/" ? "index.html" : p.replace(/\.\.+/g, "")));
    res.writeHead(200, { "content-type": { ".html": "text/html", ".js": "text/javascript" }[extname(p)] ?? (p === "/" ? "text/html" : "application/octet-stream") });
    res.end(b);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await chromium.launch({ executablePath: process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const cliCells = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8")).cells;
const pageRuns = [];
await page.evaluate(
  ([ms, aware]) => {
    for (const i of document.querySelectorAll("#methods input")) i.checked = ms.includes(i.value);
    document.querySelector("[data-testid=model-aware]").checked = aware;
  },
  [methods, modelAware],
);
for (let i = 0; i < runs; i++) {
  await page.getByTestId("sample-mnist-mlp").click();
  const t = performance.now();
  await page.getByTestId("run").click();
  await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("done"), null, { timeout: 300_000 });
  pageRuns.push((performance.now() - t) / 1000);
}
const rows = await page.getByTestId("result-row").count();
const okRows = await page.locator("[data-testid=result-row]:has([data-testid=download-qf]), [data-testid=result-row]:has([data-testid=download])").count();
// The page's numbers beside the CLI's, cell by cell (same order: method × bits × coder).
const pageVals = await page.$$eval("[data-testid=result-row]", (rs) =>
  rs.map((r) => ({ sqnr: r.dataset.sqnrDb === undefined ? null : Number(r.dataset.sqnrDb), rel: r.dataset.outputRelError === undefined ? null : Number(r.dataset.outputRelError) })),
);
let maxSqnrDiff = 0,
  maxRelDiff = 0;
cliCells.forEach((c, i) => {
  const s = c.result?.summary ?? {};
  if (process.env.DEBUG) console.error(c.quantizer, c.bits, c.coder, s.sqnrDb, pageVals[i]?.sqnr);
  if (typeof s.sqnrDb === "number" && pageVals[i]?.sqnr !== null) maxSqnrDiff = Math.max(maxSqnrDiff, Math.abs(s.sqnrDb - pageVals[i].sqnr));
  if (typeof s.outputRelErrorWorst === "number" && pageVals[i]?.rel !== null) maxRelDiff = Math.max(maxRelDiff, Math.abs(s.outputRelErrorWorst - pageVals[i].rel) / s.outputRelErrorWorst);
});
await browser.close();
server.close();
rmSync(dir, { recursive: true, force: true });
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const out = {
  mode: modelAware ? "model" : "weights",
  cells: cliCells.length,
  cliOkCells: cliCells.filter((c) => c.status === "ok").length,
  pageRows: rows,
  pageOkRows: okRows,
  maxSqnrDiffDb: maxSqnrDiff,
  maxOutputRelErrorRelDiff: maxRelDiff,
  cliSeconds: cli.map((s) => +s.toFixed(2)),
  pageSeconds: pageRuns.map((s) => +s.toFixed(2)),
  ratioMedian: +(med(pageRuns) / med(cli)).toFixed(2),
};
console.log(JSON.stringify(out));
