import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, tempDir } from "../__tests__/harness.js";
import { DEFAULT_THREADS_MIN_BYTES, prestartCount, prestartTally, prestartWorkers, takePrestarted } from "./entry.js";
import { availableParallelism } from "node:os";

/**
 * Workers the CLI starts before its modules load (`run --weights`, issue 18): as many as `run`'s
 * pool will want, taken by that pool (same bytes and report as --threads 1), terminated when the
 * run has no pool.
 */
describe("prestartCount", () => {
  const big = () => DEFAULT_THREADS_MIN_BYTES,
    small = () => 1024,
    missing = () => undefined;
  const argv = (...a: string[]) => ["node", "quantforge", ...a];
  it("follows run's --threads decision: the flag, else the cores for a large weights file", () => {
    expect(prestartCount(argv("run", "--weights", "w.safetensors", "--quantizer", "rtn"), big)).toBe(availableParallelism() - 1);
    expect(prestartCount(argv("run", "--weights", "w.safetensors"), small)).toBe(0);
    expect(prestartCount(argv("run", "--weights=w.safetensors", "--threads", "3"), small)).toBe(2);
    expect(prestartCount(argv("run", "--weights", "w.safetensors", "--threads=1"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w.safetensors"), missing)).toBe(0);
  });
  it("none for other commands, a model, plugins to load, help, or a --threads run would refuse", () => {
    expect(prestartCount(argv("quantize", "--weights", "w.safetensors", "--threads", "2"), big)).toBe(0);
    expect(prestartCount(argv("run", "--model", "m.onnx", "--threads", "2"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w", "--threads", "2", "--plugin", "./p.js"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w", "--threads", "2", "--discover"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w", "--threads", "2", "--help"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w", "--threads", "two"), big)).toBe(0);
    expect(prestartCount(argv("run", "--weights", "w", "--threads", "65"), big)).toBe(0);
  });
});

describe("prestarted workers", () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let weights: string;
  beforeAll(async () => {
    t = await tempDir();
    weights = t.path("w.safetensors");
    const r = await cli(["synth", "--out", weights, "--seed", "5", "--tensors", "fc1:96x80:0.05,fc2:64x96:0.1,fc3:200x64:0.02"]);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const run = async (threads: number, tag: string) => {
    const out = t.path(`${tag}.qf`);
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "6", "--coder", "huffman", "--threads", String(threads), "--out", out, "--json"]);
    expect(r.code, r.err).toBe(0);
    return { json: { ...(JSON.parse(r.out) as object), out: null }, bytes: await readFile(out) };
  };

  it("a run's pool takes them: the bytes and report of --threads 1", async () => {
    const one = await run(1, "one");
    const before = { ...prestartTally };
    prestartWorkers(1);
    const two = await run(2, "two");
    expect(prestartTally.taken - before.taken).toBe(1);
    expect(takePrestarted()).toBeUndefined();
    expect(two.bytes.equals(one.bytes)).toBe(true);
    expect(two.json).toEqual(one.json);
  }, 120_000);

  it("a run without a pool terminates them", async () => {
    const before = { ...prestartTally };
    prestartWorkers(1);
    await run(1, "alone");
    expect(prestartTally.discarded - before.discarded).toBe(1);
    expect(prestartTally.taken).toBe(before.taken);
    expect(takePrestarted()).toBeUndefined();
  }, 120_000);

  it("a run that fails before its pool exists still exits (the started worker does not hold the process)", async () => {
    // The CLI itself, from source: it prestarts a worker for --threads 2, then refuses the quantizer.
    const runnerDir = fileURLToPath(new URL("../../", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@quantforge/source", "src/cli.ts", "run", "--weights", weights, "--threads", "2", "--quantizer", "no-such-quantizer"], {
      cwd: runnerDir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
    clearTimeout(timer);
    expect(code, err).toBe(2);
    expect(err).toMatch(/QF_UNKNOWN_PLUGIN/);
  }, 60_000);
});
