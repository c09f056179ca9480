import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { unzipSync } from "fflate";
import { dequantizeModel } from "@quantforge/core";
import { decodeContainer } from "@quantforge/core/format";
import { loadTfjsWeights, readTfjsModelBytes, memoryTfjsWeights } from "@quantforge/io-tfjs";
import { scratch, writeGraphModel } from "@quantforge/io-tfjs/testing";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { CHROMIUM, openPlayground, runAndWait as run, skipBrowser as skip, type Harness } from "./harness.test-support.js";

/** The page's own flows in headless Chromium (see harness.test-support.ts): sample, tfjs files, errors. */
const reason = skip ? ` (skipped: ${CHROMIUM} is missing and CI is not set)` : "";

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

  it("runs the embedded mnist-mlp sample on its weights: rows, an SVG chart with tooltips and legend selection, no console errors", async () => {
    await page.getByTestId("sample-mnist-mlp").click();
    await page.getByTestId("model-aware").uncheck();
    await runAndWait(4);
    expect(await page.getByTestId("result-row").count()).toBe(30);
    expect(await page.getByTestId("error").count()).toBe(0);
    // vega-embed interactivity: a cell point's tooltip names its method; a legend click fades the other methods.
    const chart = page.locator("[data-testid=rd-chart] [data-chart=sqnr]");
    const point = chart.locator("g.mark-symbol.role-mark path").first();
    await point.hover({ force: true });
    await page.waitForFunction(() => document.querySelector("#vg-tooltip-element.visible")?.textContent?.includes("method"), null, { timeout: 5000 });
    const faded = () => chart.locator("g.mark-symbol.role-mark path[opacity='0.15']").count();
    expect(await faded()).toBe(0);
    await chart.locator("g.role-legend-symbol path").first().click({ force: true });
    await page.waitForFunction(() => document.querySelectorAll("[data-chart=sqnr] g.mark-symbol.role-mark path[opacity='0.15']").length > 0, null, { timeout: 5000 });
    expect(await faded()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("compares a tfjs graph model from files (two groups, three shards) on its outputs; both downloads decode to exactly the weights the page evaluated", async () => {
    const tmp = await scratch();
    const path = await writeGraphModel(tmp.dir);
    const weights = await loadTfjsWeights(path);
    const names = (await readdir(tmp.dir)).sort();
    await page.getByTestId("model-input").setInputFiles(await Promise.all(names.map(async (name) => ({ name, mimeType: "application/octet-stream", buffer: await readFile(join(tmp.dir, name)) }))));
    await tmp.cleanup();
    await page.getByTestId("model-aware").check();
    await runAndWait(4);
    const rows = page.getByTestId("result-row");
    expect(await rows.count()).toBe(30);
    expect(await page.locator("[data-testid=rd-chart] [data-chart=output-error] svg").count()).toBe(1);
    // auto runs on the model (it needs forward); hessian-ecsq's Hessian needs a labelled reference model, as in the CLI.
    const byMethod = async (q: string) => rows.filter({ has: page.locator("td:first-child", { hasText: new RegExp(`^${q}( ★)?$`) }) });
    expect(await (await byMethod("auto")).count()).toBe(6);
    expect(await (await byMethod("auto")).and(page.locator("[data-output-rel-error]")).count()).toBe(6);
    expect(await (await byMethod("hessian-ecsq")).filter({ hasText: "QF_MISSING_CAPABILITY" }).count()).toBe(6);
    const row = rows.filter({ has: page.getByTestId("download-qf") }).nth(1);
    expect(Number(await row.getAttribute("data-output-rel-error"))).toBeGreaterThan(0);
    const reported = Number(await row.locator("td").nth(4).textContent());
    const [dl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("download-qf").click()]);
    const bytes = new Uint8Array(await readFile((await dl.path())!));
    const coders = { fixed: fixedCoder().create(fixedCoder().parseOptions({})), huffman: huffmanCoder().create(huffmanCoder().parseOptions({})) } as unknown as Record<string, never>;
    const { model } = decodeContainer(bytes, (id: string) => coders[id]!);
    const decoded = dequantizeModel(model, weights);
    expect(decoded.map((t) => t.name)).toEqual(weights.map((t) => t.name));
    // Pooled SQNR of the quantized tensors, recomputed here from the downloaded bytes.
    const quantized = new Set(model.tensors.map((t) => t.name));
    let sig = 0,
      err = 0;
    weights.forEach((t, i) => {
      if (quantized.has(t.name))
        t.data.forEach((v, j) => {
          sig += v * v;
          err += (v - decoded[i]!.data[j]!) ** 2;
        });
    });
    expect(Math.abs(10 * Math.log10(sig / err) - reported)).toBeLessThanOrEqual(0.005 + 1e-9);
    // The tfjs download of the same row holds exactly those weights (tfjs-native or tfjs-float).
    const [zdl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("download").click()]);
    const files = unzipSync(new Uint8Array(await readFile((await zdl.path())!)));
    const back = memoryTfjsWeights(readTfjsModelBytes(files["model.json"]!, new Map(Object.entries(files)), "model.json"));
    expect(back.map((t) => t.name)).toEqual(decoded.map((t) => t.name));
    back.forEach((t, i) => expect(t.data).toEqual(decoded[i]!.data));
    expect(errors).toEqual([]);
  });

  it("shows the CLI's error code for an unsupported file", async () => {
    await page.getByTestId("model-input").setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") }]);
    await page.getByTestId("run").click();
    await expect(page.getByTestId("error").first().textContent()).resolves.toMatch(/^QF_FORMAT: unsupported input/);
    errors.length = 0;
  });
});
