/**
 * Every issue-16 case in this package's scope as a CLI invocation with its expected outcome,
 * run as a real child process with a time limit and a peak-RSS reading (`VmHWM` from
 * `/proc/<pid>/status`, polled). Used by `cli-cases.test.ts` and `bench/hostile-cases.ts`.
 * Test-only (excluded from the build).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { link, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { codebookBytes, huffmanBombStream, manyTensorsSafetensors, ONE_LEVEL, rawContainer, rawSafetensors, smallFixedStream, sparseFixedBombStream } from "./hostile.js";
import { CANARY, CANARY_BYTES, cliCommand, matches, runCliCase, type CliCase, type CliOutcome } from "./cli-harness.js";

export { CANARY, CANARY_BYTES, cliCommand, matches, runCliCase, type CliCase, type CliOutcome };

const w = (dir: string, name: string, data: Uint8Array | string) => writeFile(join(dir, name), data).then(() => join(dir, name));
const mkfifo = (p: string) => {
  execFileSync("mkfifo", [p]);
  return p;
};
const qf = (streams: Uint8Array[], extra: Parameters<typeof rawContainer>[0] = {}) => rawContainer({ codebooks: [codebookBytes(ONE_LEVEL)], streams, ...extra });
const synth = (dir: string, name = "w.safetensors", tensors = "a:64x32:0.05") =>
  w(dir, name, rawSafetensors({})).then(async (p) => {
    await synthInto(p, tensors);
    return p;
  });
async function synthInto(path: string, tensors: string): Promise<void> {
  const { synthesizeWeights, parseTensorSpec } = await import("../synth.js");
  const { saveSafetensors } = await import("@quantforge/io-safetensors");
  await saveSafetensors(path, synthesizeWeights(parseTensorSpec(tensors), 1));
}
const noTemps = async (dir: string) => {
  const left = (await readdir(dir, { recursive: true })).filter((n) => String(n).includes(".tmp-"));
  return left.length ? `temp files left: ${left.join(", ")}` : undefined;
};
const f32 = (...v: number[]) => Float32Array.from(v);

/** The issue-16 cases of this package's scope. */
export const CLI_CASES: readonly CliCase[] = [
  // §4 size bombs
  { item: 4, name: "qf huffman 2^30 codes (69 B)", exit: 2, code: "QF_DECODE", prepare: async (d) => ["decode", await w(d, "b.qf", qf([huffmanBombStream(2 ** 30)], { coder: "huffman" })), "--out", join(d, "o.safetensors")] },
  {
    item: 4,
    name: "qf 64 × huffman 2^30 tensors",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => [
      "decode",
      await w(
        d,
        "b.qf",
        qf(
          Array.from({ length: 64 }, (_, i) => huffmanBombStream(2 ** 30, `w${i}`)),
          { coder: "huffman" },
        ),
      ),
      "--out",
      join(d, "o.safetensors"),
    ],
  },
  { item: 4, name: "qf sparse fixed 0 codes, 2^28 elements", exit: 2, code: "QF_DECODE", prepare: async (d) => ["decode", await w(d, "b.qf", qf([sparseFixedBombStream(2 ** 28)])), "--out", join(d, "o.safetensors")] },
  { item: 4, name: "decode /dev/zero", exit: 2, code: "QF_IO", prepare: async (d) => ["decode", "/dev/zero", "--out", join(d, "o.safetensors")] },
  { item: 4, name: "--plugin /dev/zero", exit: 2, code: "QF_PLUGIN_LOAD", prepare: async () => ["--plugin", "/dev/zero", "list"] },
  // §6 crashes
  {
    item: 6,
    name: "safetensors with 60,000 tensors (valid)",
    exit: 0,
    timeoutMs: 60_000,
    prepare: async (d) => ["run", "--weights", await w(d, "many.safetensors", manyTensorsSafetensors(60_000)), "--quantizer", "rtn", "--bits", "4", "--all-tensors", "--json"],
  },
  { item: 6, name: "qf metadata null", exit: 2, code: "QF_DECODE", prepare: async (d) => ["decode", await w(d, "m.qf", qf([smallFixedStream()], { metadata: "null" })), "--out", join(d, "o.safetensors")] },
  // §7 accepted silently
  {
    item: 7,
    name: "qf codebook level NaN",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => ["decode", await w(d, "n.qf", rawContainer({ codebooks: [codebookBytes({ kind: "levels", id: "c", levels: f32(NaN) })], streams: [smallFixedStream()] })), "--out", join(d, "o.safetensors")],
  },
  {
    item: 7,
    name: "qf affine scale Inf",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => [
      "decode",
      await w(d, "n.qf", rawContainer({ codebooks: [codebookBytes({ kind: "affine", id: "c", levels: 1, scale: f32(Infinity), zeroPoint: f32(0) })], streams: [smallFixedStream()] })),
      "--out",
      join(d, "o.safetensors"),
    ],
  },
  {
    item: 7,
    name: "qf grid x_max NaN",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => [
      "decode",
      await w(d, "n.qf", rawContainer({ codebooks: [codebookBytes({ kind: "grid", id: "c", levels: 1, xMax: NaN, midtread: true, sigma: f32(1), mu: f32(0) })], streams: [smallFixedStream()] })),
      "--out",
      join(d, "o.safetensors"),
    ],
  },
  // Issue 16 listed passthrough NaN/Inf as accepted silently while nothing could write it; since
  // issue 15, unquantized tensors of real models (a Clip bound of +Inf, masks) pass through as they
  // are, so a passthrough NaN/±Inf is valid and must decode bit-exactly (codebooks stay checked).
  {
    item: 7,
    name: "qf passthrough NaN/±Inf (valid, kept exactly)",
    exit: 0,
    prepare: async (d) => ["decode", await w(d, "n.qf", qf([], { passthrough: [{ name: "p", shape: [3], data: f32(-Infinity, NaN, Infinity) }] })), "--out", join(d, "o.safetensors")],
    after: (d) => {
      const b = readFileSync(join(d, "o.safetensors"));
      const v = new Float32Array(b.buffer.slice(b.byteOffset + b.length - 12, b.byteOffset + b.length));
      return v[0] === -Infinity && Number.isNaN(v[1]) && v[2] === Infinity ? undefined : `decoded [${Array.from(v).join(", ")}]`;
    },
  },
  { item: 7, name: "qf reserved flags 0xFFFF", exit: 2, code: "QF_DECODE", prepare: async (d) => ["decode", await w(d, "f.qf", qf([smallFixedStream()], { flags: 0xffff })), "--out", join(d, "o.safetensors")] },
  {
    item: 7,
    name: "qf affine codebook 2^53 levels",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => [
      "decode",
      await w(d, "l.qf", rawContainer({ codebooks: [codebookBytes({ kind: "affine", id: "c", levels: 2 ** 53 - 1, scale: f32(1), zeroPoint: f32(0) })], streams: [smallFixedStream()] })),
      "--out",
      join(d, "o.safetensors"),
    ],
  },
  { item: 7, name: "synth σ = 1e39", exit: 2, code: "QF_USAGE", prepare: async (d) => ["synth", "--out", join(d, "s.safetensors"), "--tensors", "a:4x4:1e39"] },
  // §10 misleading errors
  {
    item: 10,
    name: "safetensors 33 dims",
    exit: 2,
    code: "QF_SHAPE_MISMATCH",
    prepare: async (d) => ["run", "--weights", await w(d, "d.safetensors", rawSafetensors({ t: { dtype: "F32", shape: new Array(33).fill(1), data_offsets: [0, 4] } }, new Uint8Array(4))), "--quantizer", "rtn", "--all-tensors"],
  },
  {
    item: 10,
    name: "qf passthrough 33 dims",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => ["decode", await w(d, "d.qf", qf([], { passthrough: [{ name: "p", shape: new Array(33).fill(1), data: f32(1) }] })), "--out", join(d, "o.safetensors")],
  },
  {
    item: 10,
    name: "safetensors [2^53−1, 0] tensor (valid)",
    exit: 0,
    prepare: async (d) => [
      "run",
      "--weights",
      await w(d, "z.safetensors", rawSafetensors({ z: { dtype: "F32", shape: [2 ** 53 - 1, 0], data_offsets: [0, 0] }, a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, new Uint8Array(f32(0.5, -0.25).buffer))),
      "--quantizer",
      "rtn",
      "--all-tensors",
      "--out",
      join(d, "z.qf"),
    ],
  },
  { item: 10, name: "qf fixed [2^53−1, 0] tensor (valid)", exit: 0, prepare: async (d) => ["decode", await w(d, "z.qf", qf([smallFixedStream("z", [2 ** 53 - 1, 0])])), "--out", join(d, "o.safetensors")] },
  { item: 10, name: "compare rtn:__proto__=1", exit: 2, code: "QF_USAGE", prepare: async (d) => ["compare", "--weights", await synth(d), "--quantizers", "rtn:__proto__=1", "--bits", "4", "--out", join(d, "r")] },
  { item: 10, name: "run --option __proto__.x=1", exit: 2, code: "QF_USAGE", prepare: async (d) => ["run", "--weights", await synth(d), "--quantizer", "rtn", "--option", "__proto__.x=1"] },
  {
    item: 10,
    name: "tensor name with terminal escapes",
    exit: 0,
    prepare: async (d) => [
      "run",
      "--weights",
      await w(d, "e.safetensors", rawSafetensors({ "\u001b[2J\u001b[31mevil": { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, new Uint8Array(f32(0.5, -0.25).buffer))),
      "--quantizer",
      "rtn",
      "--all-tensors",
    ],
    after: (_d, err) => (err.includes("\u001b") ? "raw escape on stderr" : undefined),
  },
  // §3 data never runs code
  { item: 3, name: "compare --verify, planted plugin in manifest", exit: 2, code: "QF_PLUGIN_MISSING", prepare: (d) => plantedResults(d, true), after: (d) => (existsSync(join(d, "PWNED")) ? "evil.mjs ran" : undefined) },
  { item: 3, name: "compare --verify, planted plugin in config only", exit: 0, prepare: (d) => plantedResults(d, false), after: (d) => (existsSync(join(d, "PWNED")) ? "evil.mjs ran" : undefined) },
  // §8 outputs
  {
    item: 8,
    name: "run --decoded-out = --weights",
    exit: 2,
    code: "QF_USAGE",
    prepare: async (d) => {
      const p = await synth(d);
      return ["run", "--weights", p, "--quantizer", "rtn", "--decoded-out", p];
    },
  },
  {
    item: 8,
    name: "run --out = --weights",
    exit: 2,
    code: "QF_USAGE",
    prepare: async (d) => {
      const p = await synth(d);
      return ["run", "--weights", p, "--quantizer", "rtn", "--out", p];
    },
  },
  {
    item: 8,
    name: "decode x.qf --out x.qf",
    exit: 2,
    code: "QF_USAGE",
    prepare: async (d) => {
      const p = await w(d, "x.qf", qf([smallFixedStream()]));
      return ["decode", p, "--out", p];
    },
  },
  {
    item: 8,
    name: "decode --out hard link of input",
    exit: 2,
    code: "QF_USAGE",
    prepare: async (d) => {
      const p = await w(d, "x.qf", qf([smallFixedStream()]));
      await link(p, join(d, "h.safetensors"));
      return ["decode", p, "--out", join(d, "h.safetensors")];
    },
  },
  { item: 8, name: "run --out ''", exit: 2, code: "QF_USAGE", prepare: async (d) => ["run", "--weights", await synth(d), "--quantizer", "rtn", "--out", ""] },
  { item: 8, name: "decode --out FIFO", exit: 2, code: "QF_IO", prepare: async (d) => ["decode", await w(d, "x.qf", qf([smallFixedStream()])), "--out", mkfifo(join(d, "o.fifo"))] },
  { item: 8, name: "decode --out /dev/null", exit: 2, code: "QF_IO", prepare: async (d) => ["decode", await w(d, "x.qf", qf([smallFixedStream()])), "--out", "/dev/null"] },
  {
    item: 8,
    name: "decode --out symlink",
    exit: 2,
    code: "QF_IO",
    prepare: async (d) => {
      await w(d, "target", "keep");
      await symlink(join(d, "target"), join(d, "link.safetensors"));
      return ["decode", await w(d, "x.qf", qf([smallFixedStream()])), "--out", join(d, "link.safetensors")];
    },
  },
  {
    item: 8,
    name: "SIGINT during --decoded-out leaves no temp",
    exit: 130,
    interruptWhen: (d) => {
      try {
        return readdirSync(join(d, "o")).some((n) => n.includes(".tmp-"));
      } catch {
        return false;
      }
    },
    prepare: async (d) => {
      await mkdir(join(d, "o"));
      return ["run", "--weights", await synth(d, "big.safetensors", "a:1500x1500:0.05,b:1500x1500:0.05"), "--quantizer", "rtn", "--decoded-out", join(d, "o", "k.safetensors")];
    },
    after: (d) => noTemps(join(d, "o")),
  },
  // §9 FIFOs as inputs
  { item: 9, name: "decode <fifo>", exit: 2, code: "QF_IO", prepare: async (d) => ["decode", mkfifo(join(d, "in.qf")), "--out", join(d, "o.safetensors")] },
  { item: 9, name: "run --weights <fifo>", exit: 2, code: "QF_IO", prepare: async (d) => ["run", "--weights", mkfifo(join(d, "w.safetensors")), "--quantizer", "rtn"] },
  { item: 9, name: "run --model <fifo>.onnx", exit: 2, code: "QF_IO", prepare: async (d) => ["run", "--model", mkfifo(join(d, "m.onnx")), "--quantizer", "rtn"] },
  { item: 9, name: "run --model <fifo>.json", exit: 2, code: "QF_IO", prepare: async (d) => ["run", "--model", mkfifo(join(d, "model.json")), "--quantizer", "rtn"] },
];

/** A results.json whose manifest names a planted `evil.mjs` (and, with `listed`, a plugin it "made"). */
async function plantedResults(d: string, listed: boolean): Promise<string[]> {
  const weights = await synth(d);
  const { readSafetensorsHeader } = await import("@quantforge/io-safetensors");
  await readSafetensorsHeader(weights);
  const evil = await w(d, "evil.mjs", `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(join(d, "PWNED"))}, "ran"); export default [];`);
  const plugins = [
    { kind: "quantizer", id: "rtn", version: "0.1.0" },
    { kind: "coder", id: "fixed", version: "0.1.0" },
    { kind: "evaluator", id: "sqnr", version: "0.1.0" },
    ...(listed ? [{ kind: "quantizer", id: "evil-q", version: "1.0.0" }] : []),
  ];
  const config = {
    weights,
    quantizers: [{ id: "rtn", options: {} }],
    bits: [4],
    coders: [{ id: "fixed", options: {} }],
    evaluators: [{ id: "sqnr", options: {} }],
    seed: 0,
    timeout: null,
    include: [],
    exclude: [],
    allTensors: false,
    plugins: [evil],
  };
  const doc = { format: "quantforge-compare", manifest: { seed: 0, quantforgeVersion: "0.1.0", node: process.version, plugins, inputs: [], config }, cells: [] };
  return ["compare", "--verify", await w(d, "results.json", JSON.stringify(doc))];
}
