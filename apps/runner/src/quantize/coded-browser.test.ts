import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { Tensor } from "@tensorflow/tfjs";
import { instantiate } from "@quantforge/core/host";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { loadCodedTfjsModel } from "@quantforge/io-tfjs";
import { cpuTf, writeGraphModel } from "@quantforge/io-tfjs/testing";
import { cli, tempDir } from "../__tests__/harness.js";

/**
 * A model written by `quantforge quantize --target tfjs-coded` (the embedded MNIST MLP — a layers
 * model — with rANS and Huffman, and a small graph model with rANS), loaded in Debian's headless Chromium (playwright-core) through the browser entry
 * `@quantforge/io-tfjs/coded-browser` and stock tfjs, gives exactly the outputs the Node loader gives:
 * both run tfjs's cpu backend (plain JS float32 kernels, the same code in both), so equal weights
 * must give bit-identical outputs. Skipped only when Chromium is missing outside CI; in CI a
 * missing browser fails.
 */
const CHROMIUM = process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium";
const inCI = Boolean(process.env.CI) && !["0", "false"].includes(process.env.CI!.toLowerCase());
const skip = !existsSync(CHROMIUM) && !inCI;
const reason = skip ? ` (skipped: ${CHROMIUM} is missing and CI is not set; apt-get install -y chromium to run it)` : "";
if (skip) console.warn(`coded tfjs browser test${reason}`);

const HERE = dirname(fileURLToPath(import.meta.url));
const MODEL = join(HERE, "../../../../packages/model-tfjs/models/mnist-mlp/model.json");
const ORIGIN = "http://quantforge.test";
/** Output folder, input shape and coder of each case: the MNIST MLP (a layers model) and a graph model. */
const CASES = [
  { dir: "rans", shape: [3, 28, 28, 1], coder: "rans", outputs: [3, 10] },
  { dir: "huffman", shape: [3, 28, 28, 1], coder: "huffman", outputs: [3, 10] },
  { dir: "graph-rans", shape: [2, 4, 4, 2], coder: "rans", outputs: [2, 10] },
] as const;

/** Seeded inputs in [0, 1) of `shape`. */
function fixedInput(shape: readonly number[]): { shape: number[]; data: number[] } {
  let s = 20261206;
  const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { shape: [...shape], data };
}

describe.skipIf(skip)(`tfjs-coded model in headless Chromium${reason}`, () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    t = await tempDir();
    const graph = await writeGraphModel(t.path("graph-src"), { seed: 5 });
    for (const c of CASES) {
      const model = c.dir.startsWith("graph") ? graph : MODEL;
      const r = await cli(["quantize", model, "--quantizer", "uniform-mse", "--bits", "3", "--target", "tfjs-coded", "--coder", c.coder, "--samples", "2", "--out", t.path(c.dir), "--json"]);
      expect(r.code, r.err).toBe(0);
    }
    const bundle = await build({
      entryPoints: [join(HERE, "../__tests__/coded-page.ts")],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      conditions: ["@quantforge/source", "browser"],
      logLevel: "silent",
      absWorkingDir: join(HERE, "../.."),
    });
    const app = bundle.outputFiles[0]!.text;
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    // A virtual origin: the page, its script and the written model folders, nothing else.
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === "/") return route.fulfill({ contentType: "text/html", body: `<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>` });
      if (path === "/app.js") return route.fulfill({ contentType: "text/javascript", body: app });
      const file = normalize(join(t.dir, decodeURIComponent(path)));
      if (!file.startsWith(t.dir) || !existsSync(file)) return route.fulfill({ status: 404, body: "" });
      return route.fulfill({ contentType: "application/octet-stream", body: await readFile(file) });
    });
    await page.goto(`${ORIGIN}/`, { waitUntil: "load" });
    await page.waitForFunction(() => typeof (globalThis as { qfRun?: unknown }).qfRun === "function");
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  for (const { dir: name, shape, coder, outputs } of CASES) {
    it(`${name}: the page's outputs equal the Node loader's bit for bit`, async () => {
      const dir = t.path(name);
      expect((await readdir(dir)).sort()).toContain("weights.qf");
      const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as { quantforge: { coder: string } };
      expect(json.quantforge.coder).toBe(coder);
      const input = fixedInput(shape);
      const tf = await cpuTf();
      const m = await loadCodedTfjsModel(join(dir, "model.json"), tf, { coders: [instantiate(ransCoder()), instantiate(huffmanCoder())] });
      const x = tf.tensor(input.data, input.shape, "float32");
      const y = m.predict(x) as Tensor;
      const nodeData = (await y.data()) as Float32Array;
      const node = { shape: y.shape, bits: Array.from(new Uint32Array(nodeData.buffer, nodeData.byteOffset, nodeData.length)) };
      x.dispose();
      y.dispose();
      m.dispose();
      const browserOut = await page.evaluate(([url, inp]) => (globalThis as unknown as { qfRun: (u: string, i: unknown) => Promise<{ shape: number[]; bits: number[] }> }).qfRun(url, inp), [`${ORIGIN}/${name}/model.json`, input] as const);
      expect(node.shape).toEqual(outputs);
      expect(browserOut.shape).toEqual(node.shape);
      expect(browserOut.bits).toEqual(node.bits);
      // Not all equal: the model really ran on the decoded weights.
      expect(new Set(node.bits).size).toBeGreaterThan(3);
      expect(errors).toEqual([]);
    }, 60_000);
  }

  it("a container the page cannot decode is a typed error, not a crash", async () => {
    const msg = await page.evaluate(async (url) => {
      try {
        await (globalThis as unknown as { qfRun: (u: string, i: unknown) => Promise<unknown> }).qfRun(url, { shape: [1, 28, 28, 1], data: new Array(784).fill(0) });
        return "loaded";
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    }, `${ORIGIN}/missing/model.json`);
    expect(msg).toMatch(/^QF_IO: cannot fetch model\.json .*HTTP 404/);
  });
});
