import { parseInputRanges } from "@quantforge/datasets";
import { basename } from "node:path";
import type { Command } from "commander";
import { printable, type Metric, type WeightSet } from "@quantforge/core";
import type { PipelineResult, TensorWorkers } from "@quantforge/core/host";
import type { ModelAccuracySummary } from "@quantforge/evaluator-accuracy";
import { BUILTIN_PLUGINS, type BuiltinPlugin } from "../builtin-plugins.js";
import { UsageError } from "../errors.js";
import { DEFAULT_CODER, DEFAULT_EVALUATORS, bindJob, selectorFromFlags } from "../jobs.js";
import { sha256Weights } from "../input-hash.js";
import { INPUT_RANGE_HELP, INPUT_SHAPE_HELP, MODEL_DATA_HELP, MODEL_HELP } from "../model-help.js";
import { collect, idList, parseBudgetSeconds, parseInputShapes, parseOptionPairs, parseSeed } from "../options.js";
import { fmt, guardOutput, printJson, writeFileAtomic } from "../output.js";
import { createProgress } from "../progress.js";
import { buildRunReport, renderRunReport } from "../report.js";
import type { Runtime } from "../runtime.js";
import type { PluginChoice } from "../run-job.js";
import type { TensorPool } from "../threads/pool.js";
import { discardPrestarted, dropPrefetched, takePrefetched } from "../threads/entry.js";
import { DEFAULT_THREADS_MIN_BYTES, THREADS_HELP, fileBytes, parseThreads } from "../threads/parallel.js";
import { workersCanBuild } from "../threads/rebuildable.js";
import { decodedMetadata, readWeights, writeWeights } from "../weights-io.js";

/** Flags of `quantforge run`. */
export interface RunFlags {
  /** `--budget-seconds` (auto only). */
  budgetSeconds?: string;
  weights?: string;
  /** A model (reference id, tfjs model.json or .onnx) instead of a weights file. */
  model?: string;
  /** Data of --model: "embedded" or a folder of IDX files (reference models), a .safetensors file of model inputs (others). */
  data?: string;
  /** `--input-shape name=d1,d2,…` values. */
  inputShape: string[];
  inputRange: string[];
  quantizer: string;
  bits?: string;
  option: string[];
  coder?: string;
  evaluator: string[];
  seed?: string;
  json?: boolean;
  out?: string;
  decodedOut?: string;
  include: string[];
  exclude: string[];
  allTensors?: boolean;
  allowEmpty?: boolean;
  /** `--threads <n>`: worker threads for per-tensor quantizers (default: see `parseThreads`). */
  threads?: string;
}

/**
 * Quantizer options from `--option` pairs plus `--bits` (shorthand for `--option bits=N`) and
 * `--budget-seconds` (shorthand for auto's `--option budgetSeconds=S`).
 */
export function quantizerOptions(flags: Pick<RunFlags, "bits" | "option"> & { budgetSeconds?: string; quantizer?: string; coder?: string }): Record<string, unknown> {
  const options = parseOptionPairs(flags.option);
  if (flags.bits !== undefined) {
    if ("bits" in options) throw new UsageError(`--bits and --option bits=… are both given. Give the bit width once.`);
    options.bits = parseOptionPairs([`bits=${flags.bits}`]).bits;
  }
  const budget = parseBudgetSeconds(flags.budgetSeconds);
  if (budget !== undefined) {
    if (flags.quantizer !== "auto") throw new UsageError(`--budget-seconds is the time budget of the auto quantizer, not of ${flags.quantizer ?? "this quantizer"}. Drop it or use --quantizer auto.`);
    if ("budgetSeconds" in options) throw new UsageError(`--budget-seconds and --option budgetSeconds=… are both given. Give the budget once.`);
    options.budgetSeconds = budget;
  }
  // auto measures candidate sizes with the coder the model will be written with (issue 19).
  if (flags.quantizer === "auto" && flags.coder !== undefined && !("coder" in options)) options.coder = flags.coder;
  return options;
}

/** With a reference-style model (labelled test data), the `accuracy` evaluator is always added (its metrics fill the `"model"` block). */
export function withModelEvaluators(ids: readonly string[], hasModel: boolean): string[] {
  return hasModel && !ids.includes("accuracy") ? [...ids, "accuracy"] : [...ids];
}

/** One line on the model-level metrics, in percent. */
export function renderModelLine(m: ModelAccuracySummary): string {
  const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(2)}%`);
  return `model ${m.id}: float accuracy ${pct(m.floatAccuracy)}, accuracy ${pct(m.accuracy)}, top-1 agreement ${pct(m.agreement)}, KL ${fmt(m.klDivergence, 5)} nats\n`;
}

/**
 * One line on the model-output fidelity (fidelity evaluator), or "" when it did not run. The
 * fidelity package is imported only then: a `--weights` run never loads it (issue 18).
 */
export async function renderFidelityLine(metrics: readonly Metric[]): Promise<string> {
  const get = (name: string) => metrics.find((m) => m.tensor === undefined && m.name === name);
  const all = get("outputRelError");
  if (!all) return "";
  const { OUTPUT_FLAG } = await import("@quantforge/evaluator-fidelity");
  const per = metrics.filter((m) => m.tensor === undefined && m.name.startsWith("outputRelError:")).map((m) => `${m.name.slice("outputRelError:".length)} ${fmt(m.value, 6)}`);
  const flags = metrics
    .filter((m) => m.tensor === undefined && m.name.startsWith(OUTPUT_FLAG))
    .map((m) => `output "${printable(m.name.slice(OUTPUT_FLAG.length))}" left out of the worst: ${m.reason ?? "flagged"}\n`)
    .join("");
  const worst = get("outputRelErrorWorst");
  return `model outputs: relative error ${fmt(all.value, 6)}, worst output ${worst?.value === null ? `– (${worst.reason ?? "undefined"})` : fmt(worst?.value ?? null, 6)}${per.length > 0 ? ` (${per.join(", ")})` : ""}\n${flags}`;
}

/**
 * The built-in plugins a `run` imports: its quantizer, coder and evaluators (and accuracy with a
 * `--model`, where a reference model adds it). All of them (undefined) for `auto`, whose
 * candidates are the registered quantizers, and for an id that is not built in, so the error
 * lists every known id.
 */
export function runBuiltins(flags: { quantizer?: unknown; coder?: unknown; evaluator?: unknown; model?: unknown }): ((p: BuiltinPlugin) => boolean) | undefined {
  if (typeof flags.quantizer !== "string" || flags.quantizer === "auto") return undefined;
  const coder = typeof flags.coder === "string" ? flags.coder : DEFAULT_CODER;
  const evaluators = idList(Array.isArray(flags.evaluator) ? flags.evaluator.map(String) : undefined, DEFAULT_EVALUATORS);
  const want = new Set([`quantizer/${flags.quantizer}`, `coder/${coder}`, ...(flags.model !== undefined ? [...evaluators, "accuracy"] : evaluators).map((id) => `evaluator/${id}`)]);
  const known = new Set(BUILTIN_PLUGINS.map((p) => `${p.kind}/${p.id}`));
  if ([...want].some((k) => !known.has(k))) return undefined;
  return (p) => want.has(`${p.kind}/${p.id}`);
}

/** `input.sha256` of a weights file (`sha256Weights`): on a worker of `pool` when it has one. */
async function hashWeights(path: string, weights: WeightSet, pool: TensorPool | undefined): Promise<string> {
  return (await pool?.digest(path, weights)) ?? sha256Weights(path, weights);
}

/** Starts the `--threads` pool (its module is imported only here) and its pipeline hook. */
async function startPool(rt: Runtime, threads: number, config: { quantizer: PluginChoice; coder: PluginChoice; evaluators: readonly PluginChoice[] }, decodedOut: boolean): Promise<{ pool: TensorPool; workers: TensorWorkers }> {
  const { TensorPool, poolWorkers } = await import("../threads/index.js");
  // This thread only waits while the tensors are quantized: it runs jobs too (threads − 1 workers).
  const pool = new TensorPool(threads, rt.pluginSources, { inline: true });
  // The workers also compute what the sqnr and size evaluators read of each tensor (core's AheadFacts).
  const facts = { errorStats: config.evaluators.some((e) => e.id === "sqnr"), histograms: config.evaluators.some((e) => e.id === "size") };
  // The decoded values come back only when something besides those sums may read them (any other
  // evaluator, --decoded-out); else no thread keeps them and the pipeline decodes what is read.
  const values = decodedOut || !facts.errorStats || config.evaluators.some((e) => e.id !== "sqnr" && e.id !== "size");
  return { pool, workers: poolWorkers(pool, { quantizer: config.quantizer, coder: config.coder, facts, values }) };
}

/** `quantforge run`: one pipeline on a weights file; a table, or one JSON object with --json. */
export function register(program: Command, rt: Runtime): void {
  const cmd = program
    .command("run")
    .description("quantize, code, decode and evaluate a weights file or a model")
    .option("--weights <file>", "the weights to quantize: .safetensors, a tfjs model.json or weights manifest, or an .onnx model's weights (or --model to run the network too)")
    .option("--model <id|model.json|model.onnx>", `instead of --weights: ${MODEL_HELP}; mnist-mlp/mnist-lenet5 add the accuracy evaluator`)
    .option("--data <source>", MODEL_DATA_HELP)
    .option("--input-shape <name=d1,d2,…>", INPUT_SHAPE_HELP, collect, [])
    .option("--input-range <lo,hi|name=lo,hi>", INPUT_RANGE_HELP, collect, [])
    .requiredOption("--quantizer <id>", 'quantizer id (see "quantforge list")')
    .option("--bits <n>", "bits per code; passed to the quantizer as the option bits")
    .option("--budget-seconds <s>", "auto only: its time budget (option budgetSeconds, default 25), turned into work from the model's size")
    .option("--option <key=value>", "a quantizer option (repeatable; dotted keys nest; numbers, booleans and JSON are parsed)", collect, [])
    .option("--coder <id>", `coder id (default ${DEFAULT_CODER}); auto measures its candidates' sizes with it`)
    .option("--evaluator <id>", `evaluator id (repeatable or comma-separated; default ${DEFAULT_EVALUATORS.join(",")})`, collect, [])
    .option("--seed <n>", "random seed", "0")
    .option("--json", "print exactly one JSON object on stdout")
    .option("--out <file.qf>", "write the coded model (.qf container)")
    .option("--decoded-out <file.safetensors>", "also write the decoded weights that were evaluated (float32)")
    .option("--include <regex>", "quantize only tensors whose name matches (repeatable)", collect, [])
    .option("--exclude <regex>", "keep tensors whose name matches in float32 (repeatable)", collect, [])
    .option("--all-tensors", "quantize every tensor, biases included")
    .option("--allow-empty", "run even when no tensor is selected (else QF_NOTHING_TO_QUANTIZE, exit 2)")
    .option("--threads <n>", THREADS_HELP)
    .action(async (flags: RunFlags) => {
      const seed = parseSeed(flags.seed);
      // Checked first (a usage error); the default depends on the input's size.
      let threads = parseThreads(flags.threads);
      if ((flags.weights === undefined) === (flags.model === undefined)) throw new UsageError("give exactly one input: --weights <file.safetensors|model.json|model.onnx> (weights only) or --model <id|model.json|model.onnx>.");
      const select = selectorFromFlags(flags);
      const inputShapes = parseInputShapes(flags.inputShape);
      // The model adapters (tfjs, onnxruntime) are imported only for --model: --weights never loads them.
      const models = flags.model !== undefined ? await import("../model-probe.js") : undefined;
      const reference = flags.model !== undefined && models!.modelKind(flags.model, flags.data) === "reference";
      const progress = createProgress(rt, { json: flags.json });
      const config = {
        quantizer: { id: flags.quantizer, options: quantizerOptions(flags) },
        coder: { id: flags.coder ?? DEFAULT_CODER },
        evaluators: withModelEvaluators(idList(flags.evaluator, DEFAULT_EVALUATORS), reference).map((id) => ({ id })),
        select,
        ...(flags.allowEmpty ? { allowEmpty: true } : {}),
      };
      // Ids, options and output paths are checked before the (possibly large) weights are read.
      const job = bindJob(rt, config, seed, progress);
      const inputs = [flags.weights, flags.model, flags.data].filter((p): p is string => p !== undefined);
      const outOpts = { inputs: flags.out !== undefined ? [...inputs, flags.out] : inputs };
      if (flags.out !== undefined) await guardOutput(flags.out, { inputs, flag: "--out" });
      if (flags.decodedOut !== undefined) await guardOutput(flags.decodedOut, { ...outOpts, flag: "--decoded-out" });
      // The pool (and its module) only for a weights file and more than one thread; its workers
      // start now, while this thread reads the weights.
      const p = job.prepared;
      const inputBytes = flags.weights !== undefined ? await fileBytes(flags.weights) : undefined;
      if (flags.threads === undefined && flags.weights !== undefined) threads = parseThreads(undefined, inputBytes);
      // One thread on a large input: a pool of just this thread (no worker) still pays, because its
      // jobs fuse the passes the pipeline would make one by one (dequantize + sums + finiteness,
      // the histogram before coding) and hold no decoded tensor (issue 18: --threads 1 on 50M
      // weights, mean of 4 runs: 1.67 → 1.29 CPU-s, peak RSS 688 → 547 MiB). A small input keeps the
      // plain path: importing the pool's modules costs more than it saves.
      const pooled = threads > 1 || (inputBytes ?? 0) >= DEFAULT_THREADS_MIN_BYTES;
      const pool = flags.weights !== undefined && pooled && workersCanBuild(rt, [p.quantizer.plugin, p.coder.plugin]) ? await startPool(rt, threads, config, flags.decodedOut !== undefined) : undefined;
      // Workers the CLI started ahead (threads/entry.ts) that this run has no use for.
      if (!pool) {
        discardPrestarted();
        dropPrefetched();
      }
      let probe: Awaited<ReturnType<NonNullable<typeof models>["loadAnyModel"]>> | undefined;
      let result: PipelineResult, sha256: string | undefined;
      try {
        probe = flags.model !== undefined ? await models!.loadAnyModel(flags.model, { ...(flags.data !== undefined ? { data: flags.data } : {}), inputShapes, inputRanges: parseInputRanges(flags.inputRange) }) : undefined;
        try {
          // A pool's run has its file read ahead by the CLI (threads/entry.ts), when it could.
          const prefetched = pool && !probe ? await takePrefetched(flags.weights!) : undefined;
          const weights = probe ? probe.weights : await readWeights(flags.weights!, { shared: pool !== undefined, ...(prefetched ? { fileBytes: prefetched } : {}) });
          // The weights in memory are the file's data: only its head is read again. Hashed while
          // the pipeline runs: with a pool, on a worker (this thread runs tensor jobs too).
          const hashing = probe ? undefined : hashWeights(flags.weights!, weights, pool?.pool);
          hashing?.catch(() => undefined);
          result = await job.run(weights, probe, pool?.workers);
          // The coded model is written while a worker may still hash the input (its last slices
          // ran late in the 50M-weight run, and the write waited for them: issue 18); it replaces
          // the target only once the hash is in, so a failed run still leaves no file.
          const written = flags.out !== undefined ? writeFileAtomic(flags.out, result.encoded!.parts ?? result.encoded!.bytes, { inputs, flag: "--out", ...(hashing ? { commitAfter: hashing } : {}) }) : undefined;
          const [hashed, wrote] = await Promise.allSettled([hashing, written]);
          if (hashed.status === "rejected") throw hashed.reason;
          if (wrote.status === "rejected") throw wrote.reason;
          sha256 = hashed.value;
        } finally {
          progress.done();
          await models?.disposeModel(probe);
        }
      } finally {
        await pool?.pool.close();
      }
      if (flags.decodedOut !== undefined) await writeWeights(flags.decodedOut, result.decoded, decodedMetadata(result.coder?.id ?? "none", result.quantizer.id), { ...outOpts, flag: "--decoded-out" });
      // The accuracy package (its summary of the model block) is imported only for a reference model.
      const model = probe && reference ? (await import("@quantforge/evaluator-accuracy")).modelAccuracySummary(probe.id, result.metrics) : undefined;
      const report = buildRunReport(result, {
        input: probe ? { model: probe.id, data: flags.data ?? (reference ? "embedded" : null) } : { file: basename(flags.weights!), sha256: sha256! },
        versions: {
          quantizer: p.quantizer.plugin.version,
          coder: p.coder.plugin.version,
          evaluators: Object.fromEntries(p.evaluators.map((e) => [e.plugin.id, e.plugin.version])),
        },
        ...(flags.out ? { out: { file: flags.out, bytes: result.encoded!.size.totalBytes } } : {}),
        ...(model ? { model } : {}),
      });
      if (flags.json) return printJson(rt, report);
      for (const d of result.diagnostics) rt.err(`${d.severity} [${d.source}/${d.ruleId}]${d.tensor ? ` ${printable(d.tensor)}:` : ""} ${printable(d.message, 2000)}\n`);
      rt.out(renderRunReport(report));
      if (model) rt.out(renderModelLine(model));
      rt.out(await renderFidelityLine(result.metrics));
      if (flags.out) rt.out(`wrote ${flags.out} (${result.encoded!.size.totalBytes} bytes)\n`);
    });
  rt.builtinsFor(cmd, runBuiltins);
}
