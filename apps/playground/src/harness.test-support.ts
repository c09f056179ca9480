import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { execFileSync } from "node:child_process";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";

/**
 * The built playground (dist/) served statically on 127.0.0.1 and a headless Chromium page on it
 * (the launcher pattern of report's browser test), with every console error, page error and
 * request outside the page's own origin collected in `errors`. Shared by the browser tests.
 */
export const CHROMIUM = process.env.QUANTFORGE_CHROMIUM ?? "/usr/bin/chromium";
export const inCI = Boolean(process.env.CI) && !["0", "false"].includes(process.env.CI!.toLowerCase());
/** Skipped only when Chromium is missing outside CI; in CI a missing browser fails. */
export const skipBrowser = !existsSync(CHROMIUM) && !inCI;
export const APP = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(APP, "dist");
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".svg": "image/svg+xml", ".wasm": "application/wasm" };

export interface Harness {
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

export async function openPlayground(): Promise<Harness> {
  if (!existsSync(join(DIST, "index.html"))) execFileSync("pnpm", ["exec", "vite", "build"], { cwd: APP, stdio: "ignore" });
  const server: Server = createServer(async (req, res) => {
    const p = normalize(decodeURIComponent(new URL(req.url!, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(DIST, p === "/" ? "index.html" : p);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const { chromium } = await import("playwright-core");
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) errors.push(`external request: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: "load" });
  return {
    page,
    errors,
    close: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Presses run and waits for at least `minRows` rows (and "done" unless `untilDone` is false) and an SVG chart. */
export async function runAndWait(page: Page, minRows: number, untilDone = true, timeout = 170_000): Promise<void> {
  await page.getByTestId("run").click();
  await page.waitForFunction(([n, done]) => document.querySelectorAll("[data-testid=result-row]").length >= (n as number) && (!done || document.querySelector("#status")?.textContent?.startsWith("done")), [minRows, untilDone] as const, {
    timeout,
  });
  await page.locator("[data-testid=rd-chart] svg").first().waitFor({ timeout: 30_000 });
}

/** Sets which boxes of a choice group (`methods`, `bits`, `coders`) are checked. */
export async function choose(page: Page, group: string, values: readonly (string | number)[]): Promise<void> {
  await page.evaluate(
    ([g, vs]) => {
      for (const i of document.querySelectorAll<HTMLInputElement>(`#${g} input`)) i.checked = (vs as string[]).includes(i.value);
    },
    [group, values.map(String)] as const,
  );
}
