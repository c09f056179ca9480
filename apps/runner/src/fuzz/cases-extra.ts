/**
 * The issue-16 cases outside `CLI_CASES` (tfjs manifest paths, ONNX external data, ONNX input
 * dimensions, deep tfjs topologies, the `__proto__` initializer) and cases the issue does not
 * list, as CLI invocations for `bench/hostile-cases.ts`. Each case works in `<dir>/m` (the model
 * folder); `<dir>/outside/secret.bin` is the canary that must never be read or copied.
 * Test-only (excluded from the build).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CANARY_BYTES, type CliCase } from "./cases.js";
import { huffmanBombStream, manyTensorsSafetensors, onnxModel, rawSafetensors, withCrc } from "./hostile.js";
import { ByteWriter } from "@quantforge/core/format";
import { m, put, tfjsWithPath, onnxWithInput, onnxNested, interruptOnTemp, qfWith } from "./extra-helpers.js";

/** Issue-16 cases not in `CLI_CASES`, then cases the issue does not list (`item` undefined). */
export const EXTRA_CASES: readonly CliCase[] = [
  // §1 tfjs manifest paths
  {
    item: 1,
    name: "tfjs shard ../outside/secret.bin (matching size), tfjs-float",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["quantize", await tfjsWithPath(d, "../outside/secret.bin", CANARY_BYTES), "--quantizer", "rtn", "--target", "tfjs-float", "--no-eval", "--out", join(d, "o")],
  },
  {
    item: 1,
    name: "tfjs shard /etc/passwd, tfjs-native --exclude",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["quantize", await tfjsWithPath(d, "/etc/passwd", 1024), "--quantizer", "rtn", "--target", "tfjs-native", "--exclude", ".", "--no-eval", "--out", join(d, "o")],
    after: (_d, err) => (/holds \d+ bytes/.test(err) ? "error states the size of the outside file" : undefined),
  },
  {
    item: 1,
    name: "tfjs shard ../../../../etc/shadow, .qf",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["quantize", await tfjsWithPath(d, "../../../../../../etc/shadow", 652), "--quantizer", "rtn", "--target", "qf", "--no-eval", "--out", join(d, "o")],
  },
  {
    item: 1,
    name: "tfjs shard missing outside file (no existence oracle)",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["quantize", await tfjsWithPath(d, "../outside/missing.bin", CANARY_BYTES), "--quantizer", "rtn", "--target", "tfjs-float", "--no-eval", "--out", join(d, "o")],
    after: (_d, err) => (/ENOENT|no such file|does not exist|not found/i.test(err) ? "error tells whether the outside file exists" : undefined),
  },
  {
    item: 1,
    name: "tfjs shard symlink inside folder → outside",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => {
      const p = await tfjsWithPath(d, "link.bin", CANARY_BYTES);
      await symlink(join(d, "outside", "secret.bin"), join(m(d), "link.bin"));
      return ["run", "--model", p, "--quantizer", "rtn", "--decoded-out", join(d, "o.safetensors")];
    },
  },
  // §2 ONNX external data
  {
    item: 2,
    name: "onnx external ../outside/secret.bin, quantize",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["quantize", await put(d, "e.onnx", onnxModel([{ name: "w", dims: [16], external: { location: "../outside/secret.bin" } }])), "--quantizer", "rtn", "--all-tensors", "--no-eval", "--out", join(d, "o")],
  },
  {
    item: 2,
    name: "onnx external ../outside/secret.bin, run --decoded-out",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["run", "--model", await put(d, "e.onnx", onnxModel([{ name: "w", dims: [16], external: { location: "../outside/secret.bin" } }])), "--quantizer", "rtn", "--all-tensors", "--decoded-out", join(d, "o.safetensors")],
  },
  {
    item: 2,
    name: "onnx external data is a FIFO",
    exit: 2,
    code: "QF_IO",
    prepare: async (d) => {
      const p = await put(d, "e.onnx", onnxModel([{ name: "w", dims: [0], external: { location: "pipe.bin" } }]));
      execFileSync("mkfifo", [join(m(d), "pipe.bin")]);
      return ["quantize", p, "--quantizer", "rtn", "--all-tensors", "--no-eval", "--out", join(d, "o")];
    },
  },
  // §5 ONNX input dimensions
  { item: 5, name: "onnx input [N, 2e8] (quantize)", exit: 2, prepare: async (d) => ["quantize", await put(d, "big-in.onnx", await onnxWithInput([-1, 2e8])), "--quantizer", "rtn", "--all-tensors", "--out", join(d, "o")] },
  { item: 5, name: "onnx input [N, 1e11] (quantize)", exit: 2, prepare: async (d) => ["quantize", await put(d, "big-in.onnx", await onnxWithInput([-1, 1e11])), "--quantizer", "rtn", "--all-tensors", "--out", join(d, "o")] },
  // §6 crashes
  {
    item: 6,
    name: "safetensors 60,000 tensors, run --out x.qf (text report)",
    exit: 0,
    timeoutMs: 60_000,
    prepare: async (d) => ["run", "--weights", await put(d, "many.safetensors", manyTensorsSafetensors(60_000)), "--quantizer", "rtn", "--bits", "8", "--out", join(d, "x.qf")],
  },
  {
    item: 6,
    name: "tfjs modelTopology nested 200,000 deep",
    exit: 2,
    prepare: async (d) => {
      const p = await tfjsWithPath(d, "group1-shard1of2.bin");
      const json = JSON.parse(await readFile(p, "utf8")) as Record<string, unknown>;
      const g = json.weightsManifest as { paths: string[] }[];
      // Keep the writer's own shard names.
      const { writeGraphModel } = await import("@quantforge/io-tfjs/testing");
      await writeGraphModel(m(d));
      const fresh = JSON.parse(await readFile(p, "utf8")) as { weightsManifest: { paths: string[] }[] };
      g.forEach((x, i) => {
        x.paths = fresh.weightsManifest[i]!.paths;
      });
      const text = JSON.stringify({ ...json, modelTopology: 0 }).replace('"modelTopology":0', `"modelTopology":${'{"node":['.repeat(200_000)}{"name":"leaf"}${"]}".repeat(200_000)}`);
      await writeFile(p, text);
      return ["quantize", p, "--quantizer", "rtn", "--no-eval", "--out", join(d, "o")];
    },
  },
  // §10 misleading errors
  {
    item: 10,
    name: "onnx initializer named __proto__ (valid)",
    exit: 0,
    prepare: async (d) => {
      const { buildMatMulOnnxModel } = await import("@quantforge/io-onnx/testing");
      return ["quantize", await put(d, "proto.onnx", buildMatMulOnnxModel({ names: { w1: "__proto__" } })), "--quantizer", "rtn", "--bits", "8", "--out", join(d, "o")];
    },
  },

  // ---- not listed in the issue ----
  { name: "onnx If subgraphs nested 5,000 deep", exit: 2, prepare: async (d) => ["quantize", await put(d, "deep.onnx", onnxNested(5_000)), "--quantizer", "rtn", "--all-tensors", "--no-eval", "--out", join(d, "o")] },
  {
    name: "onnx external location: symlink inside folder → outside",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => {
      const p = await put(d, "e.onnx", onnxModel([{ name: "w", dims: [16], external: { location: "ext.bin" } }]));
      await symlink(join(d, "outside", "secret.bin"), join(m(d), "ext.bin"));
      return ["quantize", p, "--quantizer", "rtn", "--all-tensors", "--no-eval", "--out", join(d, "o")];
    },
  },
  {
    name: "onnx external offset 2^40, length 2^40",
    exit: 2,
    prepare: async (d) => {
      await put(d, "ext.bin", new Uint8Array(64));
      return ["quantize", await put(d, "e.onnx", onnxModel([{ name: "w", dims: [16], external: { location: "ext.bin", offset: 2 ** 40, length: 2 ** 40 } }])), "--quantizer", "rtn", "--all-tensors", "--no-eval", "--out", join(d, "o")];
    },
  },
  {
    name: "onnx initializer dims [2^31, 2^31] with 4 raw bytes",
    exit: 2,
    prepare: async (d) => ["run", "--model", await put(d, "w.onnx", onnxModel([{ name: "w", dims: [2 ** 31, 2 ** 31], raw: new Uint8Array(4) }])), "--quantizer", "rtn", "--all-tensors"],
  },
  {
    name: "safetensors shape [2^40, 2^40], 4 data bytes",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => ["run", "--weights", await put(d, "h.safetensors", rawSafetensors({ t: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4))), "--quantizer", "rtn", "--all-tensors"],
  },
  {
    name: "safetensors header length 2^60",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
      return ["run", "--weights", await put(d, "l.safetensors", b), "--quantizer", "rtn"];
    },
  },
  {
    name: "safetensors __metadata__ nested 100,000 deep",
    exit: 2,
    prepare: async (d) => {
      const meta = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
      const json = `{"__metadata__":{"x":${meta}},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`.padEnd(8 * Math.ceil(200_100 / 8), " ");
      const h = new TextEncoder().encode(json);
      const b = new Uint8Array(8 + h.length + 4);
      new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
      b.set(h, 8);
      return ["run", "--weights", await put(d, "meta.safetensors", b), "--quantizer", "rtn", "--all-tensors"];
    },
  },
  {
    name: "qf tensor name length 2^50",
    exit: 2,
    code: "QF_DECODE",
    prepare: async (d) => {
      const s = huffmanBombStream(4);
      const w = new ByteWriter(64);
      for (let i = 0; i < 6; i++) w.u8(s[i]!);
      w.varint(2 ** 50);
      return ["decode", await put(d, "n.qf", qfWith([withCrc(w.finish())])), "--out", join(d, "o.safetensors")];
    },
  },
  { name: "qf declaring 10^9 streams in 40 bytes", exit: 2, code: "QF_DECODE", prepare: async (d) => ["decode", await put(d, "c.qf", qfWith([], 1e9)), "--out", join(d, "o.safetensors")] },
  {
    name: "model.json with 1,000,000 weightsManifest entries",
    exit: 2,
    timeoutMs: 20_000,
    prepare: async (d) => {
      const groups = `[${Array.from({ length: 1_000_000 }, (_, i) => `{"paths":["s${i}.bin"],"weights":[]}`).join(",")}]`;
      return ["quantize", await put(d, "model.json", `{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":${groups}}`), "--quantizer", "rtn", "--no-eval", "--out", join(d, "o")];
    },
  },
  {
    name: "tfjs shard path is a directory",
    exit: 2,
    prepare: async (d) => {
      const p = await tfjsWithPath(d, "sub", 64);
      await mkdir(join(m(d), "sub"));
      return ["quantize", p, "--quantizer", "rtn", "--no-eval", "--target", "qf", "--out", join(d, "o")];
    },
  },
  {
    name: "compare --verify, results.json names a plugin file outside",
    exit: 2,
    prepare: async (d) => {
      const evil = join(d, "outside", "evil.mjs");
      await writeFile(evil, `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(join(d, "PWNED"))}, "ran"); export default [];`);
      const weights = await put(d, "w.safetensors", rawSafetensors({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(new Float32Array([0.5, -1, 0.25, 2]).buffer)));
      const plugins = [
        { kind: "quantizer", id: "rtn", version: "0.1.0" },
        { kind: "quantizer", id: "evil", version: "1.0.0", source: evil, path: evil },
      ];
      const config = {
        weights,
        quantizers: [{ id: "evil", options: {} }],
        bits: [4],
        coders: [{ id: "fixed", options: {} }],
        evaluators: [{ id: "sqnr", options: {} }],
        seed: 0,
        timeout: null,
        include: [],
        exclude: [],
        allTensors: false,
        plugins: [evil, `file://${evil}`],
      };
      const doc = { format: "quantforge-compare", manifest: { seed: 0, quantforgeVersion: "0.1.0", node: process.version, plugins, inputs: [], config }, cells: [] };
      return ["compare", "--verify", await put(d, "results.json", JSON.stringify(doc))];
    },
    after: (d) => (existsSync(join(d, "PWNED")) ? "evil.mjs ran" : undefined),
  },
  {
    name: "SIGTERM during quantize --out (temp folder)",
    exit: 143,
    signal: "SIGTERM",
    timeoutMs: 30_000,
    interruptWhen: interruptOnTemp((d) => d),
    prepare: async (d) => {
      const { saveSafetensors } = await import("@quantforge/io-safetensors");
      const { synthesizeWeights, parseTensorSpec } = await import("../synth.js");
      const p = join(m(d), "big.safetensors");
      await mkdir(m(d), { recursive: true });
      await saveSafetensors(p, synthesizeWeights(parseTensorSpec("a:1500x1500:0.05,b:1500x1500:0.05"), 1));
      return ["quantize", p, "--quantizer", "rtn", "--target", "qf", "--out", join(d, "o")];
    },
  },
  {
    name: "SIGINT during run --out x.qf",
    exit: 130,
    timeoutMs: 30_000,
    interruptWhen: interruptOnTemp((d) => d),
    prepare: async (d) => {
      const { saveSafetensors } = await import("@quantforge/io-safetensors");
      const { synthesizeWeights, parseTensorSpec } = await import("../synth.js");
      const p = join(m(d), "big.safetensors");
      await mkdir(m(d), { recursive: true });
      await saveSafetensors(p, synthesizeWeights(parseTensorSpec("a:1500x1500:0.05,b:1500x1500:0.05"), 1));
      return ["run", "--weights", p, "--quantizer", "rtn", "--coder", "huffman", "--out", join(d, "x.qf")];
    },
  },
  {
    name: "safetensors duplicate tensor name in header",
    exit: 2,
    code: "QF_FORMAT",
    prepare: async (d) => {
      const json = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}  ';
      const h = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 8) * 8, " "));
      const b = new Uint8Array(8 + h.length + 8);
      new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
      b.set(h, 8);
      return ["run", "--weights", await put(d, "dup.safetensors", b), "--quantizer", "rtn", "--all-tensors"];
    },
  },
];
