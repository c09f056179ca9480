import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";

/** Ctrl-C: the CLI (a real process, from source through tsx) stops, writes the finished cells and exits 1. */
const runnerDir = fileURLToPath(new URL("../../", import.meta.url));
let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
});
afterAll(async () => {
  await t.cleanup();
});

it("SIGINT stops the run cleanly and keeps the finished cells", async () => {
  const weights = t.path("w.safetensors");
  // Large enough that 21 cells take seconds: the signal lands mid-run.
  expect((await cli(["synth", "--out", weights, "--seed", "1", "--tensors", "a:1000x800:0.05,b:400x1000:0.1"])).code).toBe(0);
  const out = t.path("r");
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@quantforge/source", "src/cli.ts", "compare", "--weights", weights, "--quantizers", "rtn,uniform-mse,support-region", "--bits", "2-8", "--out", out], {
    cwd: runnerDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let sent = false;
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
    // Interrupt once the first cell has finished.
    if (!sent && /^\[1\/21\] ok/m.test(err)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  expect(sent, err).toBe(true);
  expect(code, err).toBe(1);
  expect(err).toContain("interrupted: stopping; finished cells are kept");
  const last = err.trimEnd().split("\n").pop()!;
  expect(last).toMatch(/^error QF_ABORTED: interrupted: \d+ of 21 cells finished; results\.json, results\.csv, report\.md, report\.html in ".*" hold them\. Run again to finish\.$/);
  const doc = JSON.parse(await readFile(`${out}/results.json`, "utf8"));
  expect(doc.interrupted).toBe(true);
  expect(doc.totals.planned).toBe(21);
  expect(doc.totals.finished).toBeGreaterThanOrEqual(1);
  expect(doc.totals.finished).toBeLessThan(21);
  expect(doc.cells.every((c: { status: string }) => c.status === "ok")).toBe(true);
  expect(last).toContain(`${doc.totals.finished} of 21`);
  expect(await readFile(`${out}/report.html`, "utf8")).toContain("This run was interrupted");
  expect(await readFile(`${out}/report.md`, "utf8")).toContain(`interrupted: ${21 - doc.totals.finished} of 21 cells did not run`);
}, 120_000);
