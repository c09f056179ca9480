import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { runCli, type CliRun } from "./exec.js";
import { parseInputShapes } from "./inputs.js";
import { countWeights, detectFormat, targetsFor, type CorpusModel, type ModelFormat } from "./models.js";
import { onnxDefaultOpset, substituteOnnxWeights } from "./onnx-wire.js";
import { decodeTfjsWeights, runOnnx, runTfjs, type RunResult, type Weight } from "./runtimes.js";
import { readSafetensors } from "./safetensors.js";
import type { CommandResult, ModelResult, ReloadResult, TargetResult } from "./types.js";
import { acceptance } from "./acceptance.js";
import { cellsOf, compareOutputs, compareWeights, dirBytes, writtenFile } from "./run-model-compare.js";

export { pinnedUnitMap } from "./run-model-compare.js";

/** How much of the comparison and which targets to run. */
export interface Profile {
  fast: boolean;
  quantizers: string;
  bits: string;
  cellTimeoutSeconds: number;
  jobs: number;
  commandTimeoutSeconds: number;
  seed: number;
}

/**
 * Agreement tolerance of the independent reload (relative L2 per output, or per tensor for
 * weights-only files): both sides hold the same decoded weights and run in the same runtime at
 * the same optimization level, so differences come only from where the dequantization happens
 * (one float32 rounding per weight) — orders of magnitude below any 8-bit quantization error.
 */
export const RELOAD_TOLERANCE = 1e-4;

const SEED_INPUTS = 1234;

let redactions: Array<[string, string]> = [];

/** Absolute cache/work paths in messages are replaced by short names (results are committed). */
function redact(s: string | null): string | null {
  if (s === null) return null;
  let out = s;
  for (const [from, to] of redactions) out = out.split(from).join(to);
  return out;
}

function cmd(run: CliRun, display: string[]): CommandResult {
  return {
    command: display.join(" "),
    exitCode: run.exitCode,
    errorCode: run.exitCode === 0 ? null : run.errorCode,
    message: redact(run.message),
    wallSeconds: run.wallSeconds,
    peakRssBytes: run.peakRssBytes,
  };
}

/** Runs every command of the corpus on one model and checks every written model independently. */
export async function runModel(model: CorpusModel, cli: string, work: string, profile: Profile, log: (l: string) => void): Promise<ModelResult> {
  const started = Date.now();
  const shapes = parseInputShapes(model.inputShape);
  const shapeFlags = model.inputShape.flatMap((s) => ["--input-shape", s]);
  const shown = model.source ? `${model.source}:${basename(model.path)}` : basename(model.path);
  const res: ModelResult = {
    id: model.id,
    source: model.source,
    file: shown,
    format: "unknown",
    inputShape: model.inputShape,
    weights: null,
    sensitivity: null,
    compare: null,
    quantize: [],
    independentWorstRelError: null,
    independentNote: null,
    wallSeconds: 0,
    peakRssBytes: null,
    acceptance: { ok: false, failures: [] },
  };
  const peak = (v: number | null) => (res.peakRssBytes = v === null ? res.peakRssBytes : Math.max(res.peakRssBytes ?? 0, v));
  let format: ModelFormat;
  try {
    format = detectFormat(model.path);
    res.format = format;
    res.weights = { ...countWeights(model.path, format), quantizedWeights: null, quantizedPct: null };
  } catch (e) {
    res.acceptance = { ok: false, failures: [`cannot read the model: ${(e as Error).message}`] };
    return res;
  }
  const dir = join(work, model.id.replace(/[^A-Za-z0-9_.-]+/g, "_"));
  redactions = [
    [dir, "<work>"],
    [model.path, shown],
    [dirname(model.path), "<model dir>"],
  ];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const runnable = format !== "tfjs-manifest";
  const t = { timeoutSeconds: profile.commandTimeoutSeconds };

  {
    // every model, bare weights manifests too (weight-only sensitivity: per-tensor SQNR, exit 0)
    const args = ["sensitivity", model.path, "--quantizer", "rtn", "--bits", "4", ...shapeFlags, "--json"];
    log(`  sensitivity`);
    const run = await runCli(cli, args, t);
    res.sensitivity = cmd(run, ["sensitivity", shown, ...args.slice(2)]);
    peak(run.peakRssBytes);
  }

  const evaluators = runnable ? "sqnr,size,fidelity" : "sqnr,size";
  const cmpOut = join(dir, "compare");
  // A bare weights manifest has no topology: it is compared as weights, not run as a model.
  const input = runnable ? "--model" : "--weights";
  const cmpArgs = [
    "compare",
    input,
    model.path,
    "--quantizers",
    profile.quantizers,
    "--bits",
    profile.bits,
    "--evaluators",
    evaluators,
    "--timeout",
    String(profile.cellTimeoutSeconds),
    "--jobs",
    String(profile.jobs),
    "--seed",
    String(profile.seed),
    ...shapeFlags,
    "--out",
    cmpOut,
    "--quiet",
  ];
  log(`  compare ${profile.quantizers} × ${profile.bits}`);
  const cmpRun = await runCli(cli, cmpArgs, t);
  res.compare = { ...cmd(cmpRun, ["compare", input, shown, ...cmpArgs.slice(3, -2)]), cells: cellsOf(join(cmpOut, "results.json")) };
  peak(cmpRun.peakRssBytes);

  // The evaluated weights, as the qf target's decode restores them: the reference of every reload.
  let ref: Map<string, Weight> | null = null;
  let refOutputs: RunResult | null = null;
  let floatOutputs: RunResult | null = null;
  const runOriginal = async (override?: ReadonlyMap<string, Weight>): Promise<RunResult> => {
    if (format === "onnx") {
      const bytes = readFileSync(model.path);
      if (!override) return runOnnx(bytes, shapes, SEED_INPUTS);
      const sub = substituteOnnxWeights(bytes, new Map([...override].map(([k, w]) => [k, w.data])));
      const unmatched = [...override.keys()].filter((k) => !sub.replaced.has(k));
      if (unmatched.length > 0) return { ok: false, reason: `${unmatched.length} decoded tensors name no float tensor of the model (e.g. ${unmatched[0]})` };
      return runOnnx(sub.bytes, shapes, SEED_INPUTS);
    }
    return runTfjs(model.path, shapes, SEED_INPUTS, override);
  };
  const safely = async (f: () => Promise<RunResult>): Promise<RunResult> => {
    try {
      return await f();
    } catch (e) {
      return { ok: false, reason: redact((e as Error).message.split("\n")[0]!.slice(0, 300))! };
    }
  };

  const opset = format === "onnx" ? onnxDefaultOpset(readFileSync(model.path)) : null;
  for (const target of targetsFor(format, profile.fast, opset)) {
    const out = join(dir, `q-${target}`);
    const args = ["quantize", model.path, "--quantizer", "rtn", "--bits", "8", "--target", target, "--seed", String(profile.seed), ...shapeFlags, "--out", out, "--json"];
    log(`  quantize --target ${target}`);
    const run = await runCli(cli, args, t);
    peak(run.peakRssBytes);
    const tr: TargetResult = {
      ...cmd(run, ["quantize", shown, ...args.slice(2, -3), "--out", "<dir>", "--json"]),
      target,
      inputBytes: null,
      outputBytes: null,
      ratio: null,
      reportWorstRelError: null,
      quantizedWeights: null,
      reload: { status: "not-run", how: "", maxRelDiff: null, detail: "quantize failed" },
    };
    res.quantize.push(tr);
    if (run.exitCode !== 0 || !existsSync(join(out, "report.json"))) continue;
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as {
      size?: { before?: number };
      overall?: { quantizedWeights?: number };
      model?: { worstRelativeError?: number };
    };
    tr.inputBytes = report.size?.before ?? null;
    tr.outputBytes = dirBytes(out, (n) => /^report\./.test(n));
    tr.ratio = tr.inputBytes && tr.outputBytes ? tr.inputBytes / tr.outputBytes : null;
    tr.reportWorstRelError = typeof report.model?.worstRelativeError === "number" ? report.model.worstRelativeError : null;
    tr.quantizedWeights = report.overall?.quantizedWeights ?? null;
    tr.reload = await reload(target, out);
  }

  async function decodeQf(file: string, to: string): Promise<Map<string, Weight> | string> {
    const run = await runCli(cli, ["decode", file, "--out", to], t);
    peak(run.peakRssBytes);
    if (run.exitCode !== 0) return `decode exited ${run.exitCode}: ${run.message}`;
    return readSafetensors(to);
  }

  async function reload(target: string, out: string): Promise<ReloadResult> {
    try {
      if (target === "qf") {
        const decoded = await decodeQf(join(out, "model.qf"), join(dir, "reference.safetensors"));
        if (typeof decoded === "string") return { status: "error", how: "quantforge decode", maxRelDiff: null, detail: decoded };
        ref = decoded;
        if (!runnable) return { status: "reference", how: "decoded weights", maxRelDiff: null, detail: null };
        floatOutputs = await safely(() => runOriginal());
        refOutputs = await safely(() => runOriginal(decoded));
        if (!refOutputs.ok) return { status: "error", how: "original model + decoded weights in the stock runtime", maxRelDiff: null, detail: refOutputs.reason };
        if (floatOutputs.ok) res.independentWorstRelError = compareOutputs(refOutputs, floatOutputs).maxRel;
        else res.independentNote = floatOutputs.reason;
        return { status: "reference", how: "original model + decoded weights in the stock runtime", maxRelDiff: null, detail: null };
      }
      if (!ref) return { status: "not-run", how: "", maxRelDiff: null, detail: "no reference weights (the qf target failed)" };
      const refWeights: Map<string, Weight> = ref;
      let how: string;
      let c: { maxRel: number; detail: string | null; note?: string };
      if (!runnable) {
        if (target === "tfjs-coded") {
          const qf = writtenFile(out, /\.qf$/);
          if (!qf) return { status: "error", how: "", maxRelDiff: null, detail: "no .qf file written" };
          const decoded = await decodeQf(qf, join(out, "..", `${target}.safetensors`));
          if (typeof decoded === "string") return { status: "error", how: "quantforge decode", maxRelDiff: null, detail: decoded };
          const manifest = writtenFile(out, /\.json$/);
          const shards = manifest ? await decodeTfjsWeights(manifest) : new Map<string, Weight>();
          how = "coded weights (decode) + shards (tf.io.decodeWeights) vs reference";
          c = compareWeights(new Map([...shards, ...decoded]), refWeights);
        } else {
          const manifest = writtenFile(out, /\.json$/);
          if (!manifest) return { status: "error", how: "", maxRelDiff: null, detail: "no manifest written" };
          how = "tf.io.decodeWeights of the written manifest vs reference";
          c = compareWeights(await decodeTfjsWeights(manifest), refWeights);
        }
      } else {
        if (!refOutputs || !refOutputs.ok) return { status: "not-run", how: "", maxRelDiff: null, detail: "the reference model did not run" };
        let got: RunResult;
        if (format === "onnx") {
          const file = writtenFile(out, /\.onnx$/);
          if (!file) return { status: "error", how: "", maxRelDiff: null, detail: "no .onnx written" };
          how = "onnxruntime-node (basic) on the written file vs the decoded weights";
          got = await safely(() => runOnnx(readFileSync(file), shapes, SEED_INPUTS));
        } else if (target === "tfjs-coded") {
          const file = join(out, "model.json");
          const qf = writtenFile(out, /\.qf$/);
          if (!qf) return { status: "error", how: "", maxRelDiff: null, detail: "no .qf file written" };
          const decoded = await decodeQf(qf, join(out, "..", `${target}.safetensors`));
          if (typeof decoded === "string") return { status: "error", how: "quantforge decode", maxRelDiff: null, detail: decoded };
          how = "stock tfjs on the written model.json + decoded weights.qf vs the decoded weights";
          got = await safely(() => runTfjs(file, shapes, SEED_INPUTS, decoded));
        } else {
          how = "stock tfjs loadGraphModel/loadLayersModel of the written files vs the decoded weights";
          got = await safely(() => runTfjs(join(out, "model.json"), shapes, SEED_INPUTS));
        }
        c = compareOutputs(got, refOutputs);
      }
      const ok = c.detail === null && c.maxRel <= RELOAD_TOLERANCE;
      return { status: ok ? "agrees" : "differs", how, maxRelDiff: Number.isFinite(c.maxRel) ? c.maxRel : null, detail: c.detail ?? c.note ?? null };
    } catch (e) {
      return { status: "error", how: "", maxRelDiff: null, detail: (e as Error).message.split("\n")[0]!.slice(0, 300) };
    }
  }

  const qfReport = res.quantize.find((q) => q.target === "qf");
  if (res.weights && qfReport?.quantizedWeights != null) {
    res.weights.quantizedWeights = qfReport.quantizedWeights;
    res.weights.quantizedPct = res.weights.floatWeights > 0 ? (100 * qfReport.quantizedWeights) / res.weights.floatWeights : null;
  }
  res.wallSeconds = (Date.now() - started) / 1000;
  res.acceptance = acceptance(res);
  rmSync(dir, { recursive: true, force: true });
  return res;
}
