import { parseInputRanges } from "@quantforge/datasets";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { printable } from "@quantforge/core";
import {
  formatSensitivityMarkdown,
  sensitivityPlanNote,
  sensitivityReport,
  weightSensitivityReport,
  DEFAULT_FIDELITY_SETTINGS,
  DEFAULT_SENSITIVITY_BUDGET_SECONDS,
  type MaybeValue,
  type SensitivityReport,
} from "@quantforge/evaluator-fidelity";
import { parseBudgetSeconds } from "../compare/cli.js";
import { renderSensitivityHtml } from "@quantforge/report";
import { UsageError } from "../errors.js";
import { selectorFromFlags } from "../jobs.js";
import { isWeightsManifestPath } from "@quantforge/io-tfjs";
import { readWeights } from "../weights-io.js";
import { INPUT_RANGE_HELP, INPUT_SHAPE_HELP, MODEL_DATA_HELP, MODEL_HELP, disposeModel, loadAnyModel } from "../model-probe.js";
import { collect, parseInputShapes, parseSeed } from "../options.js";
import { printJson, renderTable, writeFileAtomic } from "../output.js";
import { createProgress } from "../progress.js";
import type { Runtime } from "../runtime.js";
import { quantizerOptions } from "./run.js";

const val = (v: MaybeValue, digits = 4) => (v.value === null ? "–" : v.value.toPrecision(digits));

/**
 * The report as a table fitted to `columns` (a terminal): the same rows as the Markdown, long
 * tensor names wrapped; the Markdown (piped output, `--out`) keeps one line per tensor.
 */
export function sensitivityText(r: SensitivityReport, columns: number): string {
  const head =
    r.note !== undefined
      ? `${r.quantizer} on ${printable(r.model)}: one tensor quantized at a time, ranked by its own SQNR (lowest first). ${r.note}\n`
      : `${r.quantizer} on ${printable(r.model)}: one tensor quantized at a time, ${r.samples} ${r.source} input sample(s); worst-output relative error with all together: ${val(r.allTogether)}\n`;
  const plan = sensitivityPlanNote(r);
  const planLine = plan !== undefined ? `samples: ${plan}\n` : "";
  const flagged = planLine + r.flaggedOutputs.map((f) => `output "${printable(f.name)}" left out of the worst: ${f.reason}\n`).join("");
  const rows = r.rows.map((x) => [x.rank, printable(x.tensor), x.count, val(x.outputRelErrorWorst), val(x.outputRelError), x.share === null ? "–" : `${(100 * x.share).toFixed(1)} %`, val(x.sqnrDb)]);
  return head + flagged + renderTable(["rank", "tensor", "weights", "worst-output rel. error", "rel. error (all outputs)", "share of error²", "tensor SQNR dB"], rows, ["right", "left", "right", "right", "right", "right", "right"], columns);
}

/** Flags of `quantforge sensitivity`. */
export interface SensitivityFlags {
  quantizer: string;
  bits?: string;
  option: string[];
  data?: string;
  inputShape: string[];
  inputRange: string[];
  samples?: string;
  budgetSeconds?: string;
  seed?: string;
  json?: boolean;
  out?: string;
  include: string[];
  exclude: string[];
  allTensors?: boolean;
  allowEmpty?: boolean;
}

/**
 * `quantforge sensitivity <model> --quantizer <id> --bits <n>`: quantizes one tensor at a time
 * and ranks the tensors by the worst-output relative error each causes alone (tensor SQNR beside
 * it). Prints a Markdown table (or JSON with --json); --out writes sensitivity.json, .md and an
 * HTML page with the chart.
 */
export function register(program: Command, rt: Runtime): void {
  program
    .command("sensitivity")
    .description("rank tensors by the model-output error each causes when quantized alone (per-tensor SQNR beside it)")
    .argument("<model>", MODEL_HELP)
    .requiredOption("--quantizer <id>", 'quantizer id (see "quantforge list")')
    .option("--bits <n>", "bits per code; passed to the quantizer as the option bits")
    .option("--option <key=value>", "a quantizer option (repeatable)", collect, [])
    .option("--data <source>", MODEL_DATA_HELP)
    .option("--input-shape <name=d1,d2,…>", INPUT_SHAPE_HELP, collect, [])
    .option("--input-range <lo,hi|name=lo,hi>", INPUT_RANGE_HELP, collect, [])
    .option("--samples <n>", `input samples the outputs are compared on (default ${DEFAULT_FIDELITY_SETTINGS.samples}, fewer — down to 4 — when a large model would not fit --budget-seconds)`)
    .option("--budget-seconds <s>", `time budget that sizes the samples from the model's size (deterministic, not this machine's speed; default ${DEFAULT_SENSITIVITY_BUDGET_SECONDS}); ignored with --samples`)
    .option("--seed <n>", "random seed", "0")
    .option("--include <regex>", "try only tensors whose name matches (repeatable)", collect, [])
    .option("--exclude <regex>", "skip tensors whose name matches (repeatable)", collect, [])
    .option("--all-tensors", "try every tensor, biases included")
    .option("--allow-empty", "report even when no tensor is selected (else QF_NOTHING_TO_QUANTIZE, exit 2)")
    .option("--json", "print the report as one JSON object")
    .option("--out <dir>", "write sensitivity.json, sensitivity.md and sensitivity.html there")
    .action(async (model: string, flags: SensitivityFlags) => {
      const seed = parseSeed(flags.seed);
      const samples = flags.samples === undefined ? DEFAULT_FIDELITY_SETTINGS.samples : Number(flags.samples);
      if (!Number.isSafeInteger(samples) || samples < 1 || samples > 100000) throw new UsageError(`--samples "${flags.samples}" must be an integer in 1…100000.`);
      // --samples fixes the count; otherwise the budget may shrink it on a large model.
      const budgetSeconds = flags.samples === undefined ? (parseBudgetSeconds(flags.budgetSeconds) ?? DEFAULT_SENSITIVITY_BUDGET_SECONDS) : undefined;
      const qp = rt.registry.quantizer(flags.quantizer);
      const quantizer = qp.create(qp.parseOptions(quantizerOptions(flags)), rt.host());
      const selector = selectorFromFlags(flags);
      const progress = createProgress(rt, { json: flags.json });
      let report;
      if (isWeightsManifestPath(model)) {
        // Weights without a topology: nothing to run, so each tensor's own SQNR is what can be measured.
        if (flags.data !== undefined || flags.inputShape.length > 0 || flags.inputRange.length > 0)
          throw new UsageError(`"${printable(model)}" is a bare weights manifest (no topology): it has no inputs, so --data, --input-shape and --input-range do not apply. Leave them out.`);
        const note = "A bare weights manifest has no topology: no model outputs can be measured, only each tensor's SQNR.";
        try {
          report = await weightSensitivityReport(model, await readWeights(model), { quantizer, seed, progress, note, ...(selector ? { selector } : {}), ...(flags.allowEmpty ? { allowEmpty: true } : {}) });
        } finally {
          progress.done();
        }
      } else {
        const probe = await loadAnyModel(model, { ...(flags.data !== undefined ? { data: flags.data } : {}), inputShapes: parseInputShapes(flags.inputShape), inputRanges: parseInputRanges(flags.inputRange) });
        try {
          report = await sensitivityReport(probe, {
            quantizer,
            seed,
            progress,
            settings: { ...DEFAULT_FIDELITY_SETTINGS, samples },
            ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
            ...(selector ? { selector } : {}),
            ...(flags.allowEmpty ? { allowEmpty: true } : {}),
          });
        } finally {
          progress.done();
          await disposeModel(probe);
        }
      }
      const markdown = formatSensitivityMarkdown(report);
      if (flags.out) {
        await mkdir(flags.out, { recursive: true });
        await writeFileAtomic(join(flags.out, "sensitivity.json"), `${JSON.stringify(report, null, 2)}\n`);
        await writeFileAtomic(join(flags.out, "sensitivity.md"), markdown);
        await writeFileAtomic(join(flags.out, "sensitivity.html"), await renderSensitivityHtml(report));
      }
      if (flags.json) return printJson(rt, report);
      rt.out(rt.columns === undefined ? markdown : sensitivityText(report, rt.columns));
      if (flags.out) rt.out(`wrote ${join(flags.out, "sensitivity.{json,md,html}")}\n`);
    });
}
