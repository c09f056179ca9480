import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";

/**
 * `--jobs n > 1`: cells run in worker threads that build their own registry from the built-in
 * plugins (from source here: the workers register tsx). The results must equal `--jobs 1`.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
let weights: string;
beforeAll(async () => {
  t = await tempDir();
  weights = t.path("w.safetensors");
  expect((await cli(["synth", "--out", weights, "--seed", "8", "--tensors", "fc1:128x96:0.05,fc2:10x128:0.2"])).code).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

type Doc = { totals: Record<string, number>; cells: Record<string, any>[] };
const read = async (dir: string) => JSON.parse(await readFile(`${dir}/results.json`, "utf8")) as Doc;
const timeless = (d: Doc) => ({ ...d, totals: { ...d.totals, seconds: 0 }, cells: d.cells.map((c) => ({ ...c, seconds: 0 })) });

it("--jobs 2 (worker threads) gives exactly the results of --jobs 1", async () => {
  const args = ["compare", "--weights", weights, "--quantizers", "rtn,uniform-mse:mode=mismatched", "--bits", "2,3,5", "--coders", "fixed,huffman", "--seed", "3", "--quiet"];
  const one = await cli([...args, "--out", t.path("j1")]);
  const two = await cli([...args, "--out", t.path("j2"), "--jobs", "2"]);
  expect(one.code, one.err).toBe(0);
  expect(two.code, two.err).toBe(0);
  const a = await read(t.path("j1")),
    b = await read(t.path("j2"));
  expect(a.cells).toHaveLength(12);
  expect(a.cells.every((c) => c.status === "ok")).toBe(true);
  expect(timeless(b)).toEqual(timeless(a));
}, 120_000);

it("--jobs 2 stops timed-out cells by terminating their workers and finishes the report", async () => {
  const r = await cli(["compare", "--weights", weights, "--quantizers", "uniform-mse", "--bits", "2,4", "--jobs", "2", "--timeout", "0.001", "--out", t.path("j3")]);
  // Every cell failed: the files are written, and the exit is the first cell's error (QF_TIMEOUT, 1).
  expect(r.code, r.err).toBe(1);
  const d = await read(t.path("j3"));
  expect(d.cells.map((c) => c.error?.code)).toEqual(["QF_TIMEOUT", "QF_TIMEOUT"]);
  expect(d.totals).toMatchObject({ planned: 2, finished: 2, ok: 0, failed: 2 });
  const lines = r.err.trimEnd().split("\n");
  expect(lines).toHaveLength(3);
  expect(lines[2]).toMatch(/^error QF_TIMEOUT: every one of the 2 cells failed /);
  expect(await readFile(t.path("j3/report.html"), "utf8")).toContain("No charts");
}, 120_000);
