import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./__tests__/harness.js";

/**
 * Fast start (issue 18): `list`, `synth`, `run --weights` and `decode` never import the model
 * adapters, runtimes or charting libraries. Each command runs in a real process with a loader hook
 * that reports every module it loads.
 */
const runnerDir = fileURLToPath(new URL("../", import.meta.url));
const recorder = fileURLToPath(new URL("./__tests__/record-loads.mjs", import.meta.url));

/** Module URLs that only commands working with models, charts or images may load. */
const HEAVY = /\/node_modules\/(?:\.pnpm\/)?(?:vega|vega-lite|jimp|@tensorflow|onnxruntime-node|onnxruntime-common|protobufjs|yaml)[@/]|\/packages\/(?:report|model-tfjs|model-onnx|io-onnx)\//;

async function loads(args: readonly string[]): Promise<{ code: number | null; urls: string[]; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", recorder, "--conditions=@quantforge/source", "src/cli.ts", ...args], { cwd: runnerDir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  const urls = err
    .split("\n")
    .filter((l) => l.startsWith("QF_LOADED "))
    .map((l) => l.slice("QF_LOADED ".length));
  return {
    code,
    urls,
    err: err
      .split("\n")
      .filter((l) => !l.startsWith("QF_LOADED "))
      .join("\n"),
  };
}

describe("lazy imports", () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    t = await tempDir();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("the recorder sees heavy modules where a command does load them (--help loads every command)", async () => {
    const r = await loads(["--help"]);
    expect(r.code, r.err).toBe(0);
    expect(r.urls.filter((u) => HEAVY.test(u)).length).toBeGreaterThan(0);
  }, 60_000);

  it("list, synth, run --weights and decode load no model adapter, runtime, chart or image library", async () => {
    const w = t.path("w.safetensors"),
      qf = t.path("w.qf"),
      back = t.path("back.safetensors");
    const runs: [string, string[]][] = [
      ["list", ["list"]],
      ["synth", ["synth", "--out", w, "--tensors", "fc:64x32"]],
      ["run --weights", ["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--out", qf, "--json"]],
      ["decode", ["decode", qf, "--out", back]],
    ];
    for (const [name, args] of runs) {
      const r = await loads(args);
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      // The recorder worked: the command's own module and core were seen.
      expect(
        r.urls.some((u) => u.includes("/packages/core/")),
        name,
      ).toBe(true);
      expect(
        r.urls.filter((u) => HEAVY.test(u)),
        name,
      ).toEqual([]);
    }
  }, 120_000);

  it("list and synth import no plugin package, decode only coders, run --weights only its quantizer, coder and evaluators", async () => {
    const w = t.path("p.safetensors");
    const synth = await loads(["synth", "--out", w, "--tensors", "fc:16x8"]);
    expect(synth.code, synth.err).toBe(0);
    const plugins = (urls: readonly string[]) => [...new Set(urls.map((u) => /\/packages\/((?:quantizer|coder|evaluator)-[a-z0-9-]+)\//.exec(u)?.[1]).filter((p) => p !== undefined))].sort();
    const list = await loads(["list"]);
    expect(list.code, list.err).toBe(0);
    expect(plugins(list.urls)).toEqual([]);
    expect(plugins(synth.urls)).toEqual([]);
    const run = await loads(["run", "--weights", w, "--quantizer", "rtn", "--bits", "4", "--coder", "huffman", "--json", "--out", t.path("p.qf")]);
    expect(run.code, run.err).toBe(0);
    // run.ts imports the accuracy and fidelity evaluators' report helpers only when their metrics exist.
    expect(plugins(run.urls)).toEqual(["coder-huffman", "evaluator-size", "evaluator-sqnr", "quantizer-rtn"]);
    // A safetensors input needs no tfjs reader (weights-io imports it for .json files only).
    expect(run.urls.filter((u) => /\/packages\/io-tfjs\//.test(u))).toEqual([]);
    const decode = await loads(["decode", t.path("p.qf"), "--out", t.path("p-back.safetensors")]);
    expect(decode.code, decode.err).toBe(0);
    expect(plugins(decode.urls)).toEqual(["coder-fixed", "coder-huffman", "coder-rans"]);
  }, 120_000);

  it("run --threads 1 runs the pool's fused tensor jobs on this thread for an input of 16 MiB or more (the bytes of --threads 2), and not for a small one", async () => {
    const big = t.path("big.safetensors"),
      small = t.path("small.safetensors");
    // 2048 × 2049 float32 values: just over DEFAULT_THREADS_MIN_BYTES with the header.
    expect((await loads(["synth", "--out", big, "--tensors", "fc.weight:2048x2049:0.02"])).code).toBe(0);
    expect((await loads(["synth", "--out", small, "--tensors", "fc.weight:64x32:0.02"])).code).toBe(0);
    const jobs = (urls: readonly string[]) => urls.some((u) => /\/threads\/tensor-jobs\.(?:ts|js)$/.test(u));
    const run = (w: string, tag: string, threads: string[]) => loads(["run", "--weights", w, "--quantizer", "rtn", "--bits", "8", "--seed", "3", ...threads, "--out", t.path(`${tag}.qf`), "--json"]);
    const one = await run(big, "big-t1", ["--threads", "1"]);
    expect(one.code, one.err).toBe(0);
    expect(jobs(one.urls)).toBe(true);
    const plain = await run(small, "small-t1", ["--threads", "1"]);
    expect(plain.code, plain.err).toBe(0);
    expect(jobs(plain.urls)).toBe(false);
    // Jobs on this thread give what a worker's give (threads/inline.test.ts); a pool gives what the
    // plain path gives (threads.test.ts): here, the same bytes with and without a worker.
    const two = await run(big, "big-t2", ["--threads", "2"]);
    expect(two.code, two.err).toBe(0);
    expect(Buffer.compare(await readFile(t.path("big-t1.qf")), await readFile(t.path("big-t2.qf")))).toBe(0);
  }, 120_000);
});
