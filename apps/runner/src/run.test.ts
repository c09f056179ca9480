import { readdir, readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSafetensors, saveSafetensors } from "@quantforge/io-safetensors";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import { mockPlugins } from "./__tests__/mocks.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let weights: string;
beforeAll(async () => {
  t = await tempDir();
  weights = t.path("small.safetensors");
  const r = await cli(["synth", "--out", weights, "--seed", "5", "--tensors", "fc1:64x32:0.05,fc2:10x64:0.2,fc2.bias:10:0.01"]);
  expect(r).toMatchObject({ code: 0, err: "" });
});
afterAll(async () => {
  await t.cleanup();
});

const TENSOR_KEYS = ["name", "shape", "count", "mse", "sqnrDb", "bytes", "bitsPerWeight", "entropyBits"];
const SUMMARY_KEYS = ["count", "mse", "sqnrDb", "bytes", "bitsPerWeight", "compressionRatio"];

describe("run --json", () => {
  it("prints exactly one JSON object with the promised keys", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "4", "--json", "--seed", "3"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const doc = JSON.parse(r.out);
    expect(doc.quantizer).toMatchObject({ id: "rtn", options: expect.objectContaining({ bits: 4 }) });
    expect(doc.coder).toEqual({ id: "fixed" });
    expect(doc.seed).toBe(3);
    expect(doc.tensors.map((x: { name: string }) => x.name)).toEqual(["fc1", "fc2", "fc2.bias"]);
    for (const row of doc.tensors) {
      for (const k of TENSOR_KEYS) expect(row).toHaveProperty(k);
      expect(typeof row.sqnrDb).toBe("number");
      expect(row.bytes).toBeGreaterThan(0);
      expect(row.entropyBits).toBeGreaterThan(0);
      expect(row.entropyBits).toBeLessThanOrEqual(4);
    }
    for (const k of SUMMARY_KEYS) expect(typeof doc.summary[k]).toBe("number");
    expect(doc.summary.count).toBe(64 * 32 + 10 * 64 + 10);
    expect(doc.summary.compressionRatio).toBeCloseTo(32 / doc.summary.bitsPerWeight, 6);
    expect(doc.input.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is deterministic: the same inputs, options and seed give the same document", async () => {
    const args = ["run", "--weights", weights, "--quantizer", "rtn", "--bits", "3", "--json"];
    const a = await cli(args);
    const b = await cli(args);
    expect(a.out).toBe(b.out);
  });

  it("--option values are coerced and reach the quantizer's schema", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--option", "bits=6", "--option", "scheme=symmetric", "--option", "granularity=channel", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).quantizer.options).toMatchObject({ bits: 6, scheme: "symmetric", granularity: "channel" });
  });

  it("--exclude keeps matching tensors in float32 (passthrough)", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "4", "--exclude", "bias$", "--json"]);
    const doc = JSON.parse(r.out);
    expect(doc.tensors.map((x: { name: string }) => x.name)).toEqual(["fc1", "fc2"]);
    expect(doc.passthrough).toEqual([{ name: "fc2.bias", shape: [10], count: 10 }]);
  });

  it("--include selects by name", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--include", "^fc1$", "--json"]);
    expect(JSON.parse(r.out).tensors.map((x: { name: string }) => x.name)).toEqual(["fc1"]);
  });
});

describe("run (table)", () => {
  it("prints a table and a summary line", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "8"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/│ fc1\s+│ \[64×32\]/);
    expect(r.out).toMatch(/rtn \+ fixed \(seed 0\): 2698 weights, SQNR \d+\.\d\d dB/);
  });
  it("draws progress only on a TTY", async () => {
    const tty = await cli(["run", "--weights", weights, "--quantizer", "rtn"], { isTTY: true });
    expect(tty.err).toContain("rtn 100% (3/3)");
    const json = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--json"], { isTTY: true });
    expect(json.err).toBe("");
  });
});

describe("run: bad input", () => {
  it("a missing weights file → QF_IO, exit 2", async () => {
    const r = await cli(["run", "--weights", t.path("nope.safetensors"), "--quantizer", "rtn"]);
    expect([r.code, errorCode(r), r.out]).toEqual([2, "QF_IO", ""]);
  });

  it("a malformed safetensors file → QF_FORMAT, exit 2", async () => {
    const bad = t.path("bad.safetensors");
    const header = Buffer.from('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,64]}}');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await writeFile(bad, Buffer.concat([len, header, Buffer.alloc(16)]));
    const r = await cli(["run", "--weights", bad, "--quantizer", "rtn"]);
    expect([r.code, errorCode(r)]).toEqual([2, "QF_FORMAT"]);
  });

  it("NaN or Inf in the weights → QF_NON_FINITE, exit 2", async () => {
    for (const v of [NaN, Infinity]) {
      const f = t.path(`nonfinite-${v}.safetensors`);
      const data = new Float32Array([0.1, -0.2, v, 0.3]);
      await saveSafetensors(f, [{ name: "w", shape: [4], data }]);
      const r = await cli(["run", "--weights", f, "--quantizer", "rtn", "--json"]);
      expect([r.code, errorCode(r), r.out]).toEqual([2, "QF_NON_FINITE", ""]);
    }
  });

  it("an unknown quantizer, coder or evaluator → QF_UNKNOWN_PLUGIN listing the known ids", async () => {
    const q = await cli(["run", "--weights", weights, "--quantizer", "nope"]);
    expect([q.code, errorCode(q)]).toEqual([2, "QF_UNKNOWN_PLUGIN"]);
    expect(q.err).toMatch(/quantizer "nope" is not registered\. Known quantizers: .*rtn/);
    const c = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--coder", "zip"]);
    expect([c.code, errorCode(c)]).toEqual([2, "QF_UNKNOWN_PLUGIN"]);
    expect(c.err).toMatch(/Known coders: .*fixed/);
    const e = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--evaluator", "sqnr,psnr"]);
    expect([e.code, errorCode(e)]).toEqual([2, "QF_UNKNOWN_PLUGIN"]);
    expect(e.err).toMatch(/Known evaluators: .*size.*sqnr/);
  });

  it("invalid options → QF_INVALID_OPTIONS naming the field, exit 2", async () => {
    const bits = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "99"]);
    expect([bits.code, errorCode(bits)]).toEqual([2, "QF_INVALID_OPTIONS"]);
    expect(bits.err).toContain('field "bits"');
    const nan = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "four"]);
    expect([nan.code, errorCode(nan)]).toEqual([2, "QF_INVALID_OPTIONS"]);
    const unknown = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--option", "scheme=wavy"]);
    expect(unknown.err).toContain('field "scheme"');
  });

  it("options are checked before the weights are read", async () => {
    const r = await cli(["run", "--weights", t.path("missing.safetensors"), "--quantizer", "rtn", "--bits", "0"]);
    expect(errorCode(r)).toBe("QF_INVALID_OPTIONS");
  });

  it("malformed flags → QF_USAGE, exit 2", async () => {
    for (const args of [
      ["--seed", "-3"],
      ["--option", "bits"],
      ["--include", "("],
      ["--bits", "4", "--option", "bits=4"],
    ]) {
      const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", ...args]);
      expect([r.code, errorCode(r)]).toEqual([2, "QF_USAGE"]);
    }
  });

  it("a failing run leaves no output file behind", async () => {
    const out = t.path("never.qf");
    const r = await cli(["run", "--weights", weights, "--quantizer", "buggy", "--coder", "raw-test", "--out", out], { plugins: mockPlugins() });
    expect(r.code).toBe(1);
    expect((await readdir(t.dir)).filter((f) => f.includes("never"))).toEqual([]);
  });
});

describe("runtime failures", () => {
  it("a bug in a plugin → QF_INTERNAL, exit 1, stack only with --verbose", async () => {
    const base = ["run", "--weights", weights, "--quantizer", "buggy", "--coder", "raw-test"];
    const r = await cli(base, { plugins: mockPlugins() });
    expect([r.code, errorCode(r)]).toEqual([1, "QF_INTERNAL"]);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    const v = await cli([...base, "--verbose"], { plugins: mockPlugins() });
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/^error QF_INTERNAL: unexpected failure: cannot read properties/);
    expect(v.err).toMatch(/TypeError: cannot read properties[^\n]*\n\s+at /);
  });

  it("runs with any registered plugins (mock quantizer + raw coder)", async () => {
    const r = await cli(["run", "--weights", weights, "--quantizer", "coarse-test", "--coder", "raw-test", "--json"], { plugins: mockPlugins() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.summary.quantizedTensors).toBe(3);
    // The pinned keys are present even though these evaluators do not produce them.
    expect(doc.summary.sqnrDb).toBeNull();
    expect(doc.tensors[0].bitsPerWeight).toBeNull();
  });

  it("synth writes a loadable file", async () => {
    const w = await loadSafetensors(weights);
    expect(w.map((x) => [x.name, x.shape])).toEqual([
      ["fc1", [64, 32]],
      ["fc2", [10, 64]],
      ["fc2.bias", [10]],
    ]);
    expect((await readFile(weights)).length).toBeGreaterThan(2698 * 4);
  });
});
