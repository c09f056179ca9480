import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { decodeContainer, dequantizeModel, type WeightSet } from "@quantforge/core";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { APP, CHROMIUM, openPlayground, runAndWait as run, skipBrowser as skip, type Harness } from "./harness.test-support.js";

/** The page's own flows in headless Chromium (see harness.test-support.ts): sample, tfjs files, errors. */
const reason = skip ? ` (skipped: ${CHROMIUM} is missing and CI is not set)` : "";

/** A small tfjs graph model.json + shard: two dense layers of seeded float32 weights. */
function tfjsFixture(): { json: string; bin: Buffer; weights: WeightSet } {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  const specs = [{ name: "dense/kernel", shape: [64, 32] }, { name: "dense/bias", shape: [32] }, { name: "dense_1/kernel", shape: [32, 10] }, { name: "dense_1/bias", shape: [10] }];
  const weights = specs.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, rnd) }));
  const bin = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer)));
  const json = JSON.stringify({ format: "graph-model", generatedBy: "test", convertedBy: "test", modelTopology: { node: [] }, weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: specs.map((w) => ({ ...w, dtype: "float32" })) }] });
  return { json, bin, weights };
}

describe.skipIf(skip)(`playground in headless Chromium${reason}`, () => {
  let h: Harness;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    h = await openPlayground();
    page = h.page;
    errors = h.errors;
  });

  afterAll(async () => {
    await h?.close();
  });

  const runAndWait = (minRows: number) => run(page, minRows);

  it("runs the embedded mnist-mlp sample on its weights: rows, an SVG chart, no console errors", async () => {
    await page.getByTestId("sample-mnist-mlp").click();
    await page.getByTestId("model-aware").uncheck();
    await runAndWait(4);
    expect(await page.getByTestId("result-row").count()).toBe(30);
    expect(await page.getByTestId("error").count()).toBe(0);
    // The README screenshot: written only when asked, so a test run leaves the tree clean.
    if (process.env.QF_PLAYGROUND_SCREENSHOT) await page.screenshot({ path: join(APP, "screenshot.png"), type: "png", clip: { x: 0, y: 0, width: 1000, height: 900 } });
    expect(errors).toEqual([]);
  });

  it("compares a tfjs graph model from files; a downloaded .qf decodes to weights with the SQNR the page reported", async () => {
    const fx = tfjsFixture();
    await page.getByTestId("model-input").setInputFiles([
      { name: "model.json", mimeType: "application/json", buffer: Buffer.from(fx.json) },
      { name: "group1-shard1of1.bin", mimeType: "application/octet-stream", buffer: fx.bin },
    ]);
    await runAndWait(4);
    const rows = page.getByTestId("result-row");
    expect(await rows.count()).toBeGreaterThanOrEqual(4);
    const row = rows.filter({ has: page.getByTestId("download-qf") }).nth(1);
    const reported = Number(await row.locator("td").nth(4).textContent());
    const [dl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("download-qf").click()]);
    const bytes = new Uint8Array(await readFile((await dl.path())!));
    const coders = { fixed: fixedCoder().create(fixedCoder().parseOptions({})), huffman: huffmanCoder().create(huffmanCoder().parseOptions({})) } as unknown as Record<string, never>;
    const { model } = decodeContainer(bytes, (id: string) => coders[id]!);
    const decoded = dequantizeModel(model, fx.weights);
    expect(decoded.map((t) => t.name)).toEqual(fx.weights.map((t) => t.name));
    // Pooled SQNR of the quantized tensors, recomputed here from the downloaded bytes.
    const names = new Set(model.tensors.map((t) => t.name));
    let sig = 0, err = 0;
    fx.weights.forEach((t, i) => { if (names.has(t.name)) t.data.forEach((v, j) => { sig += v * v; err += (v - decoded[i]!.data[j]!) ** 2; }); });
    expect(Math.abs(10 * Math.log10(sig / err) - reported)).toBeLessThanOrEqual(0.005 + 1e-9);
    expect(errors).toEqual([]);
  });

  it("shows the CLI's error code for an unsupported file", async () => {
    await page.getByTestId("model-input").setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") }]);
    await page.getByTestId("run").click();
    await expect(page.getByTestId("error").first().textContent()).resolves.toMatch(/^QF_FORMAT: unsupported input/);
    errors.length = 0;
  });
});
