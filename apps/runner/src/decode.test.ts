import { readFile, writeFile, readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WeightSet } from "@quantforge/core";
import { runPipeline } from "@quantforge/core/host";
import { fixedCoder } from "@quantforge/coder-fixed";
import { loadSafetensors } from "@quantforge/io-safetensors";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { cli, errorCode, tempDir } from "./__tests__/harness.js";
import { restoreOrder } from "./decode.js";

let t: Awaited<ReturnType<typeof tempDir>>;
let weights: string;
let qf: string;
beforeAll(async () => {
  t = await tempDir();
  weights = t.path("w.safetensors");
  qf = t.path("w.qf");
  expect((await cli(["synth", "--out", weights, "--seed", "11", "--tensors", "b:16:0.01,a:40x30:0.05,c:7x9x3:0.3", "--dist", "gauss"])).code).toBe(0);
  const r = await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "5", "--option", "granularity=channel", "--exclude", "^b$", "--seed", "2", "--out", qf, "--json"]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

function bits(ws: WeightSet): [string, number[]][] {
  return ws.map((x) => [x.name, Array.from(new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length))]);
}

describe("decode", () => {
  it("restores bit-exactly the weights the pipeline evaluated, in the input's order", async () => {
    const out = t.path("restored.safetensors");
    const r = await cli(["decode", qf, "--out", out]);
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain("3 tensors");
    const restored = await loadSafetensors(out);
    // The same pipeline in code, independent of the CLI.
    const original = await loadSafetensors(weights);
    const p = await runPipeline({
      weights: original,
      quantizer: { plugin: rtnQuantizer(), options: { bits: 5, granularity: "channel" } },
      coder: fixedCoder(),
      select: (x) => x.name !== "b",
      options: { seed: 2 },
    });
    expect(restored.map((x) => x.name)).toEqual(["b", "a", "c"]);
    expect(bits(restored)).toEqual(bits(p.decoded));
    // The float32 passthrough tensor is the original, untouched.
    expect(bits([restored[0]!])).toEqual(bits([original[0]!]));
    // And the quantized ones really were quantized.
    expect(bits([restored[1]!])).not.toEqual(bits([original[1]!]));
  });

  it("writes the same bytes as run --decoded-out", async () => {
    const evaluated = t.path("evaluated.safetensors");
    const again = t.path("again.qf");
    await cli(["run", "--weights", weights, "--quantizer", "rtn", "--bits", "5", "--option", "granularity=channel", "--exclude", "^b$", "--seed", "2", "--out", again, "--decoded-out", evaluated]);
    expect(await readFile(again)).toEqual(await readFile(qf));
    const restored = t.path("restored2.safetensors");
    expect((await cli(["decode", qf, "--out", restored])).code).toBe(0);
    expect(await readFile(restored)).toEqual(await readFile(evaluated));
  });

  it("--json describes what was written", async () => {
    const r = await cli(["decode", qf, "--out", t.path("r3.safetensors"), "--json"]);
    expect(JSON.parse(r.out)).toMatchObject({ coder: "fixed", quantizer: "rtn", tensors: 3, count: 16 + 1200 + 189 });
  });
});

describe("decode: bad input", () => {
  const cases: [string, (b: Buffer) => Buffer][] = [
    ["truncated", (b) => b.subarray(0, b.length - 9)],
    ["cut to its header", (b) => b.subarray(0, 10)],
    [
      "a flipped payload bit",
      (b) => {
        const c = Buffer.from(b);
        c[Math.floor(c.length / 2)]! ^= 0x10;
        return c;
      },
    ],
    [
      "a flipped header bit",
      (b) => {
        const c = Buffer.from(b);
        c[9]! ^= 0x01;
        return c;
      },
    ],
    [
      "another version",
      (b) => {
        const c = Buffer.from(b);
        c[4] = 99;
        return c;
      },
    ],
    ["not a container", () => Buffer.from("PK\x03\x04 this is a zip file, not a qf container")],
    ["empty", () => Buffer.alloc(0)],
  ];
  it.each(cases)("%s → QF_DECODE, exit 2, no output file", async (name, mutate) => {
    const bad = t.path(`bad-${name.replace(/\W+/g, "-")}.qf`);
    await writeFile(bad, mutate(await readFile(qf)));
    const out = t.path(`out-${name.replace(/\W+/g, "-")}.safetensors`);
    const r = await cli(["decode", bad, "--out", out]);
    expect([r.code, errorCode(r), r.out]).toEqual([2, "QF_DECODE", ""]);
    expect((await readdir(t.dir)).some((f) => f.includes(`out-${name.replace(/\W+/g, "-")}`))).toBe(false);
  });

  it("a missing .qf file → QF_IO, exit 2", async () => {
    const r = await cli(["decode", t.path("missing.qf"), "--out", t.path("x.safetensors")]);
    expect([r.code, errorCode(r)]).toEqual([2, "QF_IO"]);
  });
});

describe("restoreOrder", () => {
  const w = (name: string) => ({ name, shape: [1], data: new Float32Array(1) });
  it("reorders by the recorded names and ignores a record that does not match", () => {
    const ws = [w("a"), w("b"), w("c")];
    expect(restoreOrder(ws, ["c", "a", "b"]).map((x) => x.name)).toEqual(["c", "a", "b"]);
    for (const bad of [undefined, "abc", ["a", "b"], ["a", "a", "b"], ["a", "b", "x"], [1, 2, 3]]) {
      expect(restoreOrder(ws, bad).map((x) => x.name)).toEqual(["a", "b", "c"]);
    }
  });
});
