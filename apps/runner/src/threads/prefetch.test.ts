import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";
import { dropPrefetched, prefetchTally, prefetchWeights, takePrefetched } from "./entry.js";

/**
 * The weights file `run` reads ahead while the CLI loads its modules (issue 18): only for a run
 * with worker threads, taken once and only while the file is the one read, and a run on it gives
 * the bytes and report of a run that read the file itself.
 */
describe("prefetchWeights", () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let weights: string;
  const argv = (...a: string[]) => ["node", "quantforge", "run", ...a];
  beforeAll(async () => {
    t = await tempDir();
    weights = t.path("w.safetensors");
    const r = await cli(["synth", "--out", weights, "--seed", "7", "--tensors", "fc1:96x80:0.05,fc2:64x96:0.1"]);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("reads the whole file into shared memory, once, for the path it was started for", async () => {
    prefetchWeights(argv("--weights", weights, "--threads", "2"));
    expect(await takePrefetched(t.path("other.safetensors"))).toBeUndefined();
    prefetchWeights(argv("--weights", weights, "--threads", "2"));
    const bytes = await takePrefetched(weights);
    expect(bytes?.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(bytes!).equals(await readFile(weights))).toBe(true);
    expect(await takePrefetched(weights)).toBeUndefined();
  });

  it("starts nothing without worker threads, for model files, or once dropped", async () => {
    const before = prefetchTally.started;
    prefetchWeights(argv("--weights", weights)); // a small file: run uses one thread
    prefetchWeights(argv("--weights", weights, "--threads", "1"));
    prefetchWeights(argv("--weights", t.path("m.onnx"), "--threads", "2"));
    prefetchWeights(argv("--weights", t.path("model.json"), "--threads", "2"));
    prefetchWeights(["node", "quantforge", "quantize", "--weights", weights, "--threads", "2"]);
    expect(prefetchTally.started).toBe(before);
    prefetchWeights(argv("--weights", weights, "--threads", "2"));
    dropPrefetched();
    expect(await takePrefetched(weights)).toBeUndefined();
  });

  it("gives nothing when the file changed after it was read, or cannot be read", async () => {
    const copy = t.path("copy.safetensors");
    await writeFile(copy, await readFile(weights));
    prefetchWeights(argv("--weights", copy, "--threads", "2"));
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(copy, (await readFile(weights)).subarray(0, 100));
    expect(await takePrefetched(copy)).toBeUndefined();
    prefetchWeights(argv("--weights", t.path("missing.safetensors"), "--threads", "2"));
    expect(await takePrefetched(t.path("missing.safetensors"))).toBeUndefined();
  });

  it.skipIf(process.platform === "win32")("refuses a FIFO without waiting for a writer", async () => {
    const fifo = t.path("pipe.safetensors");
    execFileSync("mkfifo", [fifo]);
    prefetchWeights(argv("--weights", fifo, "--threads", "2"));
    expect(await takePrefetched(fifo)).toBeUndefined();
  });

  it("a run on the bytes read ahead gives the bytes and report of one that read the file", async () => {
    const run = async (tag: string) => {
      const out = t.path(`${tag}.qf`);
      const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "8", "--coder", "fixed", "--threads", "2", "--out", out, "--json"]);
      expect(r.code, r.err).toBe(0);
      return { json: { ...(JSON.parse(r.out) as object), out: null }, bytes: await readFile(out) };
    };
    const plain = await run("plain");
    const taken = prefetchTally.taken;
    prefetchWeights(argv("--weights", weights, "--threads", "2"));
    const ahead = await run("ahead");
    expect(prefetchTally.taken - taken).toBe(1);
    expect(ahead.bytes.equals(plain.bytes)).toBe(true);
    expect(ahead.json).toEqual(plain.json);
  }, 120_000);
});
