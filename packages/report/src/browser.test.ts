import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { renderHtml } from "./html.js";
import { cellPoints, paretoFront } from "./points.js";
import { sampleDocument } from "./__tests__/fixture.js";

/**
 * report.html in a real browser: Debian's headless Chromium driven by playwright-core. Skipped
 * (with the reason in the test name) only when Chromium is missing and this is not CI; in CI
 * (CI=true, as `.ci/run` sets) a missing browser fails the test.
 */
const CHROMIUM = process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium";
const inCI = Boolean(process.env.CI) && !["0", "false"].includes(process.env.CI!.toLowerCase());
const skip = !existsSync(CHROMIUM) && !inCI;
const reason = skip ? ` (skipped: ${CHROMIUM} is missing and CI is not set; apt-get install -y chromium to run it)` : "";
if (skip) console.warn(`report.html browser test${reason}`);

describe.skipIf(skip)(`report.html in headless Chromium${reason}`, () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let doc: Awaited<ReturnType<typeof sampleDocument>>;

  beforeAll(async () => {
    doc = await sampleDocument();
    dir = await mkdtemp(join(tmpdir(), "qf-report-browser-"));
    await writeFile(join(dir, "report.html"), await renderHtml(doc));
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    // Any request besides the page itself would mean the report is not self-contained.
    page.on("request", (r) => {
      if (!r.url().endsWith("/report.html")) errors.push(`external request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href, { waitUntil: "load" });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads without console errors or outside requests", async () => {
    expect(await page.title()).toBe("quantforge compare — weights <fixture>.safetensors");
    expect(errors).toEqual([]);
    expect(await page.locator("script").count()).toBe(0);
  });

  it("draws the expected marks in every chart", async () => {
    const pts = cellPoints(doc.cells).filter((p) => p.status === "ok");
    const count = (sel: string) => page.locator(sel).count();
    const front = (x: (p: (typeof pts)[number]) => number | null, y: (p: (typeof pts)[number]) => number | null) => paretoFront(pts, x, y).length;
    const acc = (p: (typeof pts)[number]) => p.accuracy;
    const expected = {
      sqnr: {
        refs: 0,
        pareto: front(
          (p) => p.bitsPerWeight,
          (p) => p.sqnrDb,
        ),
      },
      accuracy_bits: { refs: 1, pareto: front((p) => p.bitsPerWeight, acc) },
      accuracy_size: { refs: 1, pareto: front((p) => p.bytes, acc) },
      normalized: {
        refs: 2,
        pareto: front(
          (p) => p.normBitsPerWeight,
          (p) => p.normSqnrDb,
        ),
      },
    };
    expect(await count("figure.chart svg")).toBe(4);
    for (const [id, e] of Object.entries(expected)) {
      const fig = `#chart-${id.replace("_", "-")}`;
      // One line per method (rtn, uniform-mse), one symbol per ok cell, the front, the references.
      expect(await count(`${fig} g.${id}_series_marks path`), `${id} lines`).toBe(2);
      expect(await count(`${fig} g.${id}_cells_marks path`), `${id} cells`).toBe(pts.length);
      expect(await count(`${fig} g.${id}_pareto_marks path`), `${id} pareto`).toBe(e.pareto);
      expect(await count(`${fig} g.${id}_references_marks path`), `${id} references`).toBe(e.refs);
      expect(e.pareto).toBeGreaterThan(0);
    }
    const legend = await page.locator("#chart-normalized svg").textContent();
    expect(legend).toContain("reference: Shannon lower bound, unit-variance Laplacian");
    expect(legend).toContain("reference: optimal fixed-rate uniform quantizer");
    expect(await page.locator("#chart-sqnr svg").textContent()).not.toContain("reference:");
    // Heat table: a coloured cell per ok cell and tensor; results table: one row per cell.
    expect(await count("#heat-table td[style]")).toBe(pts.length * 2);
    expect(await count("#results-table tr")).toBe(doc.cells.length + 1);
    expect(await count("#results-table td.best")).toBeGreaterThan(0);
    expect(await count("#failed-cells li")).toBe(1);
    // The charts are laid out with real size (the SVGs are not collapsed).
    const box = await page.locator("#chart-sqnr svg").boundingBox();
    expect(box!.width).toBeGreaterThan(500);
    expect(box!.height).toBeGreaterThan(300);
  });

  it("renders a non-trivial screenshot", async () => {
    const png = join(dir, "report.png");
    await page.screenshot({ path: png, fullPage: true });
    const bytes = await readFile(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = bytes.readUInt32BE(16),
      height = bytes.readUInt32BE(20);
    expect(width).toBe(1400);
    expect(height).toBeGreaterThan(1200);
    // A blank page compresses to a few KB; charts, tables and text do not.
    expect((await stat(png)).size).toBeGreaterThan(60_000);
    if (process.env.QUANTFORGE_KEEP_SCREENSHOT) await writeFile(process.env.QUANTFORGE_KEEP_SCREENSHOT, bytes);
  });
});
