import { basename } from "node:path";
import type { Command } from "commander";
import { modelAccuracySummary, type ModelAccuracySummary } from "@quantforge/evaluator-accuracy";
import { loadModel } from "@quantforge/model-tfjs";
import { UsageError } from "../errors.js";
import { DEFAULT_CODER, DEFAULT_EVALUATORS, bindJob, selectorFromFlags, sha256File } from "../jobs.js";
import { collect, idList, parseOptionPairs, parseSeed } from "../options.js";
import { fmt, printJson, writeFileAtomic } from "../output.js";
import { createProgress } from "../progress.js";
import { buildRunReport, renderRunReport } from "../report.js";
import type { Runtime } from "../runtime.js";
import { decodedMetadata, readWeights, writeWeights } from "../weights-io.js";

/** Flags of `quantforge run`. */
export interface RunFlags {
  weights?: string;
  /** A tfjs model (reference id or model.json path) instead of a weights file. */
  model?: string;
  /** Data of --model: "embedded" or a folder of IDX files. */
  data?: string;
  quantizer: string;
  bits?: string;
  option: string[];
  coder: string;
  evaluator: string[];
  seed?: string;
  json?: boolean;
  out?: string;
  decodedOut?: string;
  include: string[];
  exclude: string[];
  allTensors?: boolean;
}

/** Quantizer options from `--option` pairs plus `--bits` (shorthand for `--option bits=N`). */
export function quantizerOptions(flags: Pick<RunFlags, "bits" | "option">): Record<string, unknown> {
  const options = parseOptionPairs(flags.option);
  if (flags.bits !== undefined) {
    if ("bits" in options) throw new UsageError(`--bits and --option bits=… are both given. Give the bit width once.`);
    options.bits = parseOptionPairs([`bits=${flags.bits}`]).bits;
  }
  return options;
}

/** With a model, the `accuracy` evaluator is always added (its metrics fill the `"model"` block). */
export function withModelEvaluators(ids: readonly string[], hasModel: boolean): string[] {
  return hasModel && !ids.includes("accuracy") ? [...ids, "accuracy"] : [...ids];
}

/** One line on the model-level metrics, in percent. */
export function renderModelLine(m: ModelAccuracySummary): string {
  const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(2)}%`);
  return `model ${m.id}: float accuracy ${pct(m.floatAccuracy)}, accuracy ${pct(m.accuracy)}, top-1 agreement ${pct(m.agreement)}, KL ${fmt(m.klDivergence, 5)} nats\n`;
}

/** `quantforge run`: one pipeline on a weights file; a table, or one JSON object with --json. */
export function register(program: Command, rt: Runtime): void {
  program
    .command("run")
    .description("quantize, code, decode and evaluate a weights file or a model")
    .option("--weights <file.safetensors>", "the weights to quantize (or --model)")
    .option("--model <id|model.json>", "a tfjs model instead of --weights: mnist-mlp, mnist-lenet5 or a model.json path; adds the accuracy evaluator")
    .option("--data <source>", 'test/calibration data of --model: "embedded" or a folder of MNIST IDX files', "embedded")
    .requiredOption("--quantizer <id>", 'quantizer id (see "quantforge list")')
    .option("--bits <n>", "bits per code; passed to the quantizer as the option bits")
    .option("--option <key=value>", "a quantizer option (repeatable; dotted keys nest; numbers, booleans and JSON are parsed)", collect, [])
    .option("--coder <id>", "coder id", DEFAULT_CODER)
    .option("--evaluator <id>", `evaluator id (repeatable or comma-separated; default ${DEFAULT_EVALUATORS.join(",")})`, collect, [])
    .option("--seed <n>", "random seed", "0")
    .option("--json", "print exactly one JSON object on stdout")
    .option("--out <file.qf>", "write the coded model (.qf container)")
    .option("--decoded-out <file.safetensors>", "also write the decoded weights that were evaluated (float32)")
    .option("--include <regex>", "quantize only tensors whose name matches (repeatable)", collect, [])
    .option("--exclude <regex>", "keep tensors whose name matches in float32 (repeatable)", collect, [])
    .option("--all-tensors", "quantize every tensor, biases included")
    .action(async (flags: RunFlags) => {
      const seed = parseSeed(flags.seed);
      if ((flags.weights === undefined) === (flags.model === undefined)) throw new UsageError("give exactly one input: --weights <file.safetensors> or --model <id|model.json>.");
      const select = selectorFromFlags(flags);
      const progress = createProgress(rt, { json: flags.json });
      const config = {
        quantizer: { id: flags.quantizer, options: quantizerOptions(flags) },
        coder: { id: flags.coder },
        evaluators: withModelEvaluators(idList(flags.evaluator, DEFAULT_EVALUATORS), flags.model !== undefined).map((id) => ({ id })),
        select,
      };
      // Ids and options are checked before the (possibly large) weights are read.
      const job = bindJob(rt, config, seed, progress);
      const probe = flags.model !== undefined ? await loadModel(flags.model, { data: flags.data ?? "embedded" }) : undefined;
      const weights = probe ? probe.weights : await readWeights(flags.weights!);
      let result;
      try {
        result = await job.run(weights, probe);
      } finally {
        progress.done();
      }
      if (flags.out) await writeFileAtomic(flags.out, result.encoded!.bytes);
      if (flags.decodedOut) await writeWeights(flags.decodedOut, result.decoded, decodedMetadata(result.coder?.id ?? "none", result.quantizer.id));
      const p = job.prepared;
      const report = buildRunReport(result, {
        input: probe ? { model: probe.id, data: flags.data ?? "embedded" } : { file: basename(flags.weights!), sha256: await sha256File(flags.weights!) },
        versions: {
          quantizer: p.quantizer.plugin.version,
          coder: p.coder.plugin.version,
          evaluators: Object.fromEntries(p.evaluators.map((e) => [e.plugin.id, e.plugin.version])),
        },
        ...(flags.out ? { out: { file: flags.out, bytes: result.encoded!.bytes.length } } : {}),
        ...(probe ? { model: modelAccuracySummary(probe.id, result.metrics) } : {}),
      });
      if (flags.json) return printJson(rt, report);
      for (const d of result.diagnostics) rt.err(`${d.severity} [${d.source}/${d.ruleId}]${d.tensor ? ` ${d.tensor}:` : ""} ${d.message}\n`);
      rt.out(renderRunReport(report));
      if (probe) rt.out(renderModelLine(modelAccuracySummary(probe.id, result.metrics)));
      if (flags.out) rt.out(`wrote ${flags.out} (${result.encoded!.bytes.length} bytes)\n`);
    });
}
