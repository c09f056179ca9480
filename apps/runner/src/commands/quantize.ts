import type { Command } from "commander";
import { printable, warnDeprecatedOptions, type Diagnostic } from "@quantforge/core";
import { getTf } from "@quantforge/model-tfjs";
import { UsageError } from "../errors.js";
import { DEFAULT_CODER, selectorFromFlags } from "../jobs.js";
import { collect, parseInputShapes, parseSeed } from "../options.js";
import { fmt, printJson } from "../output.js";
import { sizeChange } from "../size-change.js";
import { INPUT_RANGE_HELP, loadAnyModel } from "../model-probe.js";
import { parseInputRanges } from "@quantforge/datasets";
import { createProgress } from "../progress.js";
import { CODED_TARGETS, TARGETS, defaultTarget, inputFormat, quantizeModel, type QuantizeTarget } from "../quantize-model.js";
import type { Runtime } from "../runtime.js";
import { quantizerOptions } from "./run.js";
import { recordedOptions } from "../recorded-options.js";
import type { TensorAhead } from "../quantize/options.js";
import type { PluginChoice } from "../run-job.js";
import { THREADS_HELP, fileBytes, parseThreads } from "../threads/parallel.js";
import { workersCanBuild } from "../threads/rebuildable.js";

/**
 * The `--threads` pool as `quantize`'s {@link TensorAhead}: a worker quantizes and codes each
 * tensor. `threads − 1` tensors are read ahead of the one the main thread checks, dequantizes and
 * writes (while it waits for that one, the next is already on another worker): more in flight
 * was not faster on two cores and each costs its input, codes and values in memory (issue 18:
 * < 1 GB for a 2 GB input).
 */
async function startAhead(rt: Runtime, threads: number, choice: { quantizer: PluginChoice; coder: PluginChoice | null; seed: number }): Promise<{ ahead: TensorAhead; close: () => Promise<void> }> {
  const { TensorPool, wireTensor } = await import("../threads/index.js");
  const pool = new TensorPool(threads, rt.pluginSources);
  const ahead: TensorAhead = {
    depth: Math.max(1, threads - 1),
    shared: true,
    // The worker also counts the codes (its coder takes the histogram, and the round trip here
    // checks the stream against it) and reads their largest code, so this thread, the busiest,
    // reads them for neither (core's StreamWork.histogram and maxCode).
    quantize: (t) =>
      pool.quantize({ quantizer: choice.quantizer, coder: choice.coder, streamInput: "named", dequantize: false, ...(choice.coder ? { facts: { errorStats: false, histograms: true } } : {}), seed: choice.seed, tensor: wireTensor(t) }),
  };
  return { ahead, close: () => pool.close() };
}

/** Flags of `quantforge quantize`. */
export interface QuantizeFlags {
  quantizer: string;
  bits?: string;
  budgetSeconds?: string;
  option: string[];
  coder?: string;
  target?: string;
  out: string;
  seed?: string;
  samples: string;
  data?: string;
  inputShape: string[];
  inputRange: string[];
  eval: boolean;
  include: string[];
  exclude: string[];
  allTensors?: boolean;
  allowEmpty?: boolean;
  strictTarget?: boolean;
  json?: boolean;
  /** `--threads <n>`: worker threads for per-tensor quantizers (default: see `parseThreads`). */
  threads?: string;
}

/**
 * `quantforge quantize <model> --quantizer <id> --out <dir>`: a real, smaller model file plus
 * report.json and report.md (sizes in real bytes, per-tensor SQNR, model-output agreement).
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("quantize")
    .description("write a smaller, deployable model: tfjs model.json, ONNX or safetensors in, quantized model + report out")
    .argument("<model>", "model.json (tfjs layers or graph model), model.onnx or weights.safetensors")
    .requiredOption("--quantizer <id>", 'quantizer id (see "quantforge list"), e.g. tfjs-affine, rtn, uniform-mse')
    .option("--bits <n>", "bits per code; passed to the quantizer as the option bits")
    .option("--budget-seconds <s>", "auto only: its time budget (option budgetSeconds, default 25), turned into work from the model's size")
    .option("--option <key=value>", "a quantizer option (repeatable)", collect, [])
    .option("--coder <id>", `coder of the coded targets (tfjs-coded, qf; default ${DEFAULT_CODER})`)
    .option(
      "--target <target>",
      "tfjs-coded|tfjs-native|tfjs-float (tfjs), onnx|onnx-qdq|onnx-nbits (ONNX; onnx-nbits: MatMul weights as com.microsoft MatMulNBits), qf|safetensors-float (any); default: the smallest the model allows (ONNX: onnx-qdq from opset 10, else onnx; tfjs: tfjs-coded; safetensors: qf)",
    )
    .option("--strict-target", "onnx-qdq/onnx-nbits: stop (QF_USAGE) when a quantized tensor cannot be written as DequantizeLinear/MatMulNBits, instead of writing it as decoded floats with a warning")
    .requiredOption("--out <dir>", "output directory (written to a temp directory, then renamed; must not exist or be empty)")
    .option("--seed <n>", "random seed (quantizer and random model inputs)", "0")
    .option("--samples <n>", "random input samples for the model-output check", "8")
    .option(
      "--data <file.safetensors|folder>",
      "model inputs (tensors named after the inputs, batch first; or a folder of PNG/JPEG images for a one-image-input model, resized to it, pixels in [0,1] (int32 inputs: the bytes 0…255) or --input-range): the output check runs on them instead of random ones, and quantizers that run the model (auto) calibrate on them",
    )
    .option("--input-shape <name=d1,d2,…>", "shape of an input with unknown dimensions, batch excluded (repeatable)", collect, [])
    .option("--input-range <lo,hi|name=lo,hi>", INPUT_RANGE_HELP, collect, [])
    .option("--no-eval", "skip running the model (no output agreement or reload check)")
    .option("--include <regex>", "quantize only tensors whose name matches (repeatable)", collect, [])
    .option("--exclude <regex>", "keep tensors whose name matches in float (repeatable)", collect, [])
    .option("--all-tensors", "quantize every float tensor, biases included")
    .option("--allow-empty", "write the model even when no tensor is selected (else QF_NOTHING_TO_QUANTIZE, exit 2)")
    .option("--json", "print the report as one JSON object on stdout")
    .option("--threads <n>", THREADS_HELP)
    .action(async (input: string, flags: QuantizeFlags) => {
      const seed = parseSeed(flags.seed);
      const threads = parseThreads(flags.threads, flags.threads === undefined ? await fileBytes(input) : undefined);
      const samples = Number(flags.samples);
      if (!Number.isSafeInteger(samples) || samples < 1 || samples > 100000) throw new UsageError(`--samples "${flags.samples}" must be an integer in 1…100000.`);
      const format = inputFormat(input);
      // No --target: the smallest target the model allows, decided once the model is read (an ONNX
      // model's opset says whether DequantizeLinear exists); tensors onnx-qdq cannot express are
      // written as decoded floats with a warning, so the default never refuses a model.
      const target = flags.target as QuantizeTarget | undefined;
      if (target !== undefined && !TARGETS[format].includes(target)) throw new UsageError(`--target ${target} does not apply to ${format} input. Choose one of: ${TARGETS[format].join(", ")}.`);
      const coded = CODED_TARGETS.has(target ?? defaultTarget(format));
      if (flags.coder !== undefined && !coded) throw new UsageError(`--coder applies to the coded targets (tfjs-coded, qf); target ${target ?? defaultTarget(format)} stores the values itself. Drop --coder or choose a coded target.`);
      if (flags.strictTarget && format !== "onnx") throw new UsageError(`--strict-target applies to ONNX input (the onnx-qdq target). Drop it.`);
      // Ids and options are checked before the model is read.
      const qp = rt.registry.quantizer(flags.quantizer);
      const rawOptions = quantizerOptions(flags);
      const qOptions: unknown = qp.parseOptions(rawOptions);
      // Old spellings parse to the new values: only the raw options tell them apart.
      const deprecations: Diagnostic[] = [];
      warnDeprecatedOptions(rawOptions, qp.optionAliases, { report: (d) => deprecations.push(d) }, qp.id);
      const cp = coded ? rt.registry.coder(flags.coder ?? DEFAULT_CODER) : undefined;
      const select = selectorFromFlags(flags) ?? (await import("@quantforge/core/host")).defaultSelector;
      const inputShapes = parseInputShapes(flags.inputShape);
      const inputRanges = parseInputRanges(flags.inputRange);
      const progress = createProgress(rt, { json: flags.json });
      const instance = qp.create(qOptions, rt.host(cp ? [cp.id] : []));
      // Per-tensor quantizers without model needs stream through the pool (imported only then).
      const pool =
        threads > 1 && instance.perTensor === true && (instance.needs ?? []).length === 0 && workersCanBuild(rt, cp ? [qp, cp] : [qp])
          ? await startAhead(rt, threads, { quantizer: { id: qp.id, options: rawOptions }, coder: cp ? { id: cp.id } : null, seed })
          : undefined;
      let result;
      try {
        result = await quantizeModel({
          input,
          out: flags.out,
          ...(target ? { target } : {}),
          ...(flags.strictTarget ? { strictTarget: true } : {}),
          seed,
          select,
          samples,
          evaluate: flags.eval,
          ...(flags.allowEmpty ? { allowEmpty: true } : {}),
          ...(flags.data ? { data: flags.data } : {}),
          inputShapes,
          inputRanges,
          quantizer: { id: qp.id, version: qp.version, options: qOptions, recorded: recordedOptions(qp, qOptions, rawOptions), instance },
          deprecations,
          ...(pool ? { ahead: pool.ahead } : {}),
          ...(cp ? { coder: { id: cp.id, version: cp.version, instance: cp.create(cp.parseOptions({}), rt.host([cp.id])) } } : {}),
          progress,
          model: () => loadAnyModel(input, { ...(flags.data ? { data: flags.data } : {}), inputShapes, inputRanges, seed }),
          tf: async () => await getTf(),
        });
      } finally {
        progress.done();
        await pool?.close();
      }
      const r = result.report;
      if (r.outputCheckSkipped) rt.err(`warning: the model-output check was skipped: ${r.outputCheckSkipped}. The quantized model was written.\n`);
      if (r.sizeAdvice) rt.err(`warning: ${r.sizeAdvice}\n`);
      if (r.outputAdvice) rt.err(`warning: ${r.outputAdvice}\n`);
      if (r.floatFallback)
        rt.err(
          `warning: ${r.floatFallback.length} quantized tensor(s) cannot be written as ${r.output.target === "onnx-nbits" ? "MatMulNBits" : "DequantizeLinear"} and were written as decoded floats, e.g. ${r.floatFallback[0]!.reason} (report.md lists them; --strict-target stops instead).\n`,
        );
      if (flags.json) return printJson(rt, r);
      for (const d of r.diagnostics) rt.err(`${d.severity} [${d.source}/${d.ruleId}]${d.tensor ? ` ${printable(d.tensor)}:` : ""} ${printable(d.message, 2000)}\n`);
      rt.out(
        `wrote ${flags.out} (${r.output.target}): ${r.size.before} → ${r.size.after} bytes (${sizeChange(r.size.before, r.size.after)}), overall SQNR ${fmt(r.overall.sqnrDb)} dB, ${r.overall.quantized}/${r.overall.tensors} tensors quantized\n`,
      );
      if (r.model) {
        for (const o of r.model.outputs) {
          rt.out(`output ${o.name} [${o.shape.join(", ")}]: relative error ${fmt(o.relativeError, 6)}${o.kl === undefined ? "" : `, KL ${fmt(o.kl, 6)} nats, top-1 agreement ${fmt(100 * o.top1Agreement!, 1)}%`}\n`);
        }
        rt.out(`reload check (${r.model.reload.runtime}): max abs diff ${fmt(r.model.reload.maxAbsDiff, 3)}, ${r.model.reload.matches ? "matches" : "MISMATCH"}\n`);
      }
      rt.out(`report: ${flags.out}/report.md, ${flags.out}/report.json\n`);
    });
}
