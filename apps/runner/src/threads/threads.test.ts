import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSafetensors, saveSafetensors } from "@quantforge/io-safetensors";
import { cli, errorCode, tempDir } from "../__tests__/harness.js";

/**
 * `run --threads n > 1`: per-tensor quantizers run in n − 1 worker threads and the main thread
 * (from source here: the workers register tsx), each coding its tensor's container stream ahead. Codes, container
 * bytes, decoded weights and the report must equal `--threads 1` exactly.
 */
let t: Awaited<ReturnType<typeof tempDir>>;
let weights: string;
beforeAll(async () => {
  t = await tempDir();
  weights = t.path("w.safetensors");
  const synth = t.path("synth.safetensors");
  const r = await cli(["synth", "--out", synth, "--seed", "11", "--tensors", "fc1:96x80:0.05,fc1.bias:96:0.01,fc2:10x96:0.2,conv:8x3x3x3:0.1,fc3:200x64:0.02"]);
  expect(r.code, r.err).toBe(0);
  // Plus constant layers between the others: the quantizers report diagnostics on them, which
  // must come out in the same order from the workers.
  const ws = await loadSafetensors(synth);
  const flat = { name: "flat", shape: [16, 16], data: new Float32Array(256).fill(0.25) };
  const zeros = { name: "zeros", shape: [8, 32], data: new Float32Array(256) };
  await saveSafetensors(weights, [...ws.slice(0, 2), flat, ...ws.slice(2, 4), zeros, ...ws.slice(4)]);
});
afterAll(async () => {
  await t.cleanup();
});

type Run = { json: Record<string, unknown>; container: Buffer; decoded: Buffer; err: string };
async function run(args: readonly string[], threads: number, tag: string, decoded = true): Promise<Run> {
  const out = t.path(`${tag}-t${threads}.qf`),
    decodedOut = t.path(`${tag}-t${threads}.safetensors`);
  const r = await cli(["run", "--weights", weights, ...args, "--seed", "7", "--threads", String(threads), "--out", out, ...(decoded ? ["--decoded-out", decodedOut] : []), "--json"]);
  expect(r.code, r.err).toBe(0);
  const json = JSON.parse(r.out) as Record<string, unknown> & { out: { file: string } };
  return { json: { ...json, out: { ...json.out, file: "" } }, container: await readFile(out), decoded: decoded ? await readFile(decodedOut) : Buffer.alloc(0), err: r.err };
}

describe("run --threads", () => {
  const cases: [string, string[]][] = [
    ["rtn-channel-fixed", ["--quantizer", "rtn", "--bits", "4", "--option", "granularity=channel", "--coder", "fixed"]],
    ["uniform-mse-huffman", ["--quantizer", "uniform-mse", "--bits", "3", "--coder", "huffman"]],
    ["rtn-group-rans", ["--quantizer", "rtn", "--bits", "5", "--option", "granularity=group", "--option", "groupSize=32", "--coder", "rans"]],
  ];
  for (const [tag, args] of cases) {
    it(`--threads 2 gives the bytes and report of --threads 1 (${tag})`, async () => {
      const one = await run(args, 1, tag),
        two = await run(args, 2, tag);
      if (!tag.includes("group")) expect((one.json.diagnostics as unknown[]).length).toBeGreaterThan(0);
      expect(two.container.equals(one.container)).toBe(true);
      expect(two.decoded.equals(one.decoded)).toBe(true);
      expect(two.json).toEqual(one.json);
      expect(two.err).toBe(one.err);
    }, 120_000);
  }

  // Without --decoded-out the workers only sum the decoded values (no thread keeps them): the
  // sqnr metrics come from those sums, and uniform-mse's grid codebooks have the theory
  // extension read (decode) the values on the main thread.
  for (const [tag, args] of cases.slice(0, 2)) {
    it(`--threads 2 without --decoded-out gives the bytes and report of --threads 1 (${tag})`, async () => {
      const one = await run(args, 1, `${tag}-sums`, false),
        two = await run(args, 2, `${tag}-sums`, false);
      expect(two.container.equals(one.container)).toBe(true);
      expect(two.json).toEqual(one.json);
      expect(two.err).toBe(one.err);
    }, 120_000);
  }

  // Two workers beside the main thread (which runs jobs too: the first ones, while the workers start).
  it("--threads 3 gives the bytes and report of --threads 1 (rtn-channel-fixed)", async () => {
    const [tag, args] = cases[0]!;
    const one = await run(args, 1, tag),
      three = await run(args, 3, tag);
    expect(three.container.equals(one.container)).toBe(true);
    expect(three.decoded.equals(one.decoded)).toBe(true);
    expect(three.json).toEqual(one.json);
    expect(three.err).toBe(one.err);
  }, 120_000);

  it("reports a quantizer's error from a worker with its code, as on one thread", async () => {
    const args = ["run", "--weights", weights, "--quantizer", "rtn", "--bits", "4", "--option", "granularity=channel", "--option", "axis=3", "--json"];
    const one = await cli([...args, "--threads", "1"]),
      two = await cli([...args, "--threads", "2"]);
    expect(errorCode(one)).toBe("QF_SHAPE_MISMATCH");
    expect(two).toEqual(one);
  }, 120_000);

  it("reports non-finite weights (checked while the workers quantize) as on one thread, before later errors", async () => {
    const ws = await loadSafetensors(weights);
    const bad = ws.map((x) => (x.name === "fc2" ? { ...x, data: x.data.map((v, i) => (i === 7 ? NaN : v)) } : x));
    const nan = t.path("nan.safetensors");
    await saveSafetensors(nan, bad);
    for (const extra of [[], ["--option", "granularity=channel", "--option", "axis=3"], ["--evaluator", "fidelity"]]) {
      const args = ["run", "--weights", nan, "--quantizer", "rtn", "--bits", "4", ...extra, "--json"];
      const one = await cli([...args, "--threads", "1"]),
        two = await cli([...args, "--threads", "2"]);
      expect(errorCode(one), extra.join(" ")).toBe("QF_NON_FINITE");
      expect(two, extra.join(" ")).toEqual(one);
    }
  }, 120_000);

  it("refuses a thread count that is not an integer in 1…64", async () => {
    for (const bad of ["0", "65", "1.5", "x"]) {
      for (const cmd of [
        ["run", "--weights", weights],
        ["quantize", weights, "--out", t.path(`bad-${bad}`)],
      ]) {
        const r = await cli([...cmd, "--quantizer", "rtn", "--threads", bad]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/--threads/);
      }
    }
  });
});

describe("quantize --threads", () => {
  type Report = Record<string, unknown> & { output: Record<string, unknown> };
  const quantize = async (args: readonly string[], threads: number, tag: string) => {
    const out = t.path(`q-${tag}-t${threads}`);
    const r = await cli(["quantize", weights, ...args, "--seed", "5", "--threads", String(threads), "--out", out, "--json"]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as Report;
    // Timing and the output directory are the only fields allowed to differ.
    const compared: Report = { ...report, timing: null, output: { ...report.output, dir: "" } };
    return { model: await readFile(`${out}/model.qf`), report: compared, err: r.err };
  };
  for (const [tag, args] of [
    ["rtn-fixed", ["--quantizer", "rtn", "--bits", "4", "--option", "granularity=channel"]],
    ["uniform-mse-huffman", ["--quantizer", "uniform-mse", "--bits", "3", "--coder", "huffman"]],
  ] as const) {
    it(`--threads 2 writes the model and report of --threads 1 (${tag})`, async () => {
      const one = await quantize(args, 1, tag),
        two = await quantize(args, 2, tag);
      expect((one.report.diagnostics as unknown[]).length).toBeGreaterThan(0);
      expect(two.model.equals(one.model)).toBe(true);
      expect(two.report).toEqual(one.report);
      expect(two.err).toBe(one.err);
    }, 120_000);
  }
});
