/**
 * Byte-identity check of `quantforge quantize` (a script, not a test): runs every target of the
 * repo's models (mnist-mlp, mnist-lenet5, the io-tfjs/io-onnx test models, a safetensors file)
 * with a few quantizers, with and without `--threads 2`, and keeps the written files and the
 * `--json` reports. A refactor of `quantize` then compares its results against a run of the
 * previous build:
 *
 *   node --import tsx apps/runner/bench/quantize-identity.ts write --cli <old>/apps/runner/dist/cli.js --dir /tmp/qi/before
 *   node --import tsx apps/runner/bench/quantize-identity.ts write --cli apps/runner/dist/cli.js --dir /tmp/qi/after
 *   node --import tsx apps/runner/bench/quantize-identity.ts compare /tmp/qi/before /tmp/qi/after
 *
 * `compare` byte-compares every written file and the reports with their timing removed (report.json's
 * `timing`, report.md's "time:" line, the `--json` stdout's `timing`), and exits 1 on any difference.
 * Models are generated into `<dir>/models` from fixed seeds, so both runs read the same bytes.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { buildMatMulOnnxModel, buildOnnxModel, put } from "@quantforge/io-onnx/testing";
import { cpuTf, writeGraphModel, writeLayersModel } from "@quantforge/io-tfjs/testing";
import { sampleTensor } from "@quantforge/core/testing";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const repo = fileURLToPath(new URL("../../../", import.meta.url));

async function models(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  process.env.QUANTFORGE_TFJS_BACKEND = "cpu";
  const st = join(dir, "w.safetensors");
  await saveSafetensors(st, [
    sampleTensor("a", [64, 32], { dist: "laplace", seed: 1, sigma: 0.1 }),
    sampleTensor("b", [100], { dist: "gaussian", seed: 2, sigma: 1 }),
    sampleTensor("c", [48, 40], { dist: "gaussian", seed: 3, sigma: 0.05 }),
  ]);
  return {
    "mnist-mlp": join(repo, "packages/model-tfjs/models/mnist-mlp/model.json"),
    "mnist-lenet5": join(repo, "packages/model-tfjs/models/mnist-lenet5/model.json"),
    graph: await writeGraphModel(join(dir, "graph"), { seed: 4 }),
    layers: await writeLayersModel(await cpuTf(), join(dir, "layers"), 5),
    onnx: await put(dir, "model.onnx", buildOnnxModel({ seed: 6 })),
    matmul: await put(dir, "matmul.onnx", buildMatMulOnnxModel({ seed: 7 })),
    safetensors: st,
  };
}

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
}

function cases(m: Record<string, string>): Case[] {
  const out: Case[] = [];
  const q = [
    ["rtn", "--bits", "4"],
    ["uniform-mse", "--bits", "3"],
  ];
  const add = (model: string, target: string, quant: readonly string[], extra: readonly string[] = []) => {
    const name = [model, target, quant[0], ...extra.filter((x) => !x.startsWith("--"))].join("_");
    out.push({ name, argv: [m[model]!, "--quantizer", ...quant, "--target", target, ...extra] });
  };
  for (const model of ["mnist-mlp", "mnist-lenet5", "graph", "layers"]) for (const target of ["tfjs-coded", "tfjs-native", "tfjs-float", "qf"]) for (const quant of q) add(model, target, quant);
  for (const model of ["onnx", "matmul"]) for (const target of ["onnx", "onnx-qdq", "qf"]) for (const quant of q) add(model, target, quant);
  for (const quant of [...q, ["gptq", "--bits", "4"]]) add("matmul", "onnx-nbits", quant);
  for (const target of ["qf", "safetensors-float"]) for (const quant of q) add("safetensors", target, quant);
  // Joint quantizers keep the whole-model path; --threads 2 takes the worker pool.
  add("mnist-mlp", "tfjs-coded", ["gptq", "--bits", "4"]);
  add("safetensors", "qf", ["uniform-mse", "--bits", "3"], ["--coder", "rans"]);
  add("safetensors", "qf", ["rtn", "--bits", "4"], ["--threads", "2"]);
  add("safetensors", "qf", ["uniform-mse", "--bits", "3"], ["--threads", "2", "--coder", "rans"]);
  add("mnist-lenet5", "tfjs-coded", ["uniform-mse", "--bits", "3"], ["--threads", "2"]);
  add("matmul", "onnx-nbits", ["rtn", "--bits", "4"], ["--threads", "2"]);
  add("graph", "tfjs-native", ["tfjs-affine"], ["--threads", "2"]);
  return out;
}

function run(cli: string, argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [cli, "quantize", ...argv, "--json"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, QUANTFORGE_TFJS_BACKEND: "cpu" } });
    let out = "",
      err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => ok({ code: code ?? -1, out, err }));
  });
}

async function write(): Promise<void> {
  const dir = resolve(opt("--dir", "/tmp/qf-quantize-identity"));
  const cli = resolve(opt("--cli", join(repo, "apps/runner/dist/cli.js")));
  const m = await models(join(dir, "models"));
  const all = cases(m);
  for (const c of all) {
    const out = join(dir, "runs", c.name);
    const r = await run(cli, [...c.argv, "--out", out]);
    await mkdir(join(dir, "stdout"), { recursive: true });
    await writeFile(join(dir, "stdout", `${c.name}.json`), r.code === 0 ? r.out : `exit ${r.code}\n${r.err}`);
    console.log(`${c.name}: exit ${r.code}`);
  }
}

/** A report with the run's timing and out dir (under `root`) removed. */
function normalize(name: string, bytes: Buffer, root: string): string {
  const s = bytes.toString("utf8");
  if (name.endsWith(".md")) return s.replace(/^- time: .*$/m, "- time: ·").replaceAll(root, "<dir>");
  if (!s.startsWith("{")) return s;
  const j = JSON.parse(s) as { timing?: unknown; output?: { dir?: string } };
  delete j.timing;
  if (j.output) delete j.output.dir;
  return JSON.stringify(j, null, 2);
}

async function files(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = join(rel, e.name);
    if (e.isDirectory()) out.push(...(await files(dir, p)));
    else out.push(p);
  }
  return out.sort();
}

async function compare(a: string, b: string): Promise<void> {
  let same = 0,
    differ = 0,
    reports = 0;
  const left = [...(await files(a, "runs")), ...(await files(a, "stdout"))];
  const right = new Set([...(await files(b, "runs")), ...(await files(b, "stdout"))]);
  for (const f of left) {
    if (!right.delete(f)) {
      console.log(`only in ${a}: ${f}`);
      differ++;
      continue;
    }
    const [x, y] = [await readFile(join(a, f)), await readFile(join(b, f))];
    const report = f.startsWith("stdout") || /report\.(json|md)$/.test(f);
    const eq = report ? normalize(f, x, a) === normalize(f, y, b) : x.equals(y);
    if (report) reports++;
    if (eq) same++;
    else {
      differ++;
      console.log(`differs: ${f}`);
    }
  }
  for (const f of right) {
    console.log(`only in ${b}: ${f}`);
    differ++;
  }
  const runs = (await readdir(join(a, "runs"))).length;
  console.log(`${runs} runs, ${left.length} files: ${same} identical (${reports} reports, timing excluded), ${differ} differ.`);
  if (differ > 0) process.exit(1);
}

if (args[0] === "write") await write();
else if (args[0] === "compare") await compare(resolve(args[1]!), resolve(args[2]!));
else {
  console.error("usage: quantize-identity.ts write [--cli path] [--dir dir] | compare <dirA> <dirB>");
  process.exit(2);
}
