import { InvalidOptionsError, runPipeline, throwIfAborted, type EvaluatorPlugin, type ModelProbe } from "@quantforge/core";
import { methodOptions, type ExperimentMethod } from "./experiment-synthetic.js";

/** Options of {@link runModelExperiment}. */
export interface ModelExperimentOptions {
  /** The model (needs `layerInputs`, `forward` and a test set for the accuracy evaluator). */
  readonly model: ModelProbe;
  readonly methods: readonly ExperimentMethod[];
  /** The evaluator that reports `metric` (e.g. `accuracyEvaluator()` of `@quantforge/evaluator-accuracy`). */
  readonly evaluator: EvaluatorPlugin;
  readonly evaluatorOptions?: Readonly<Record<string, unknown>>;
  /** Metric to report. @default "accuracy" */
  readonly metric?: string;
  /** Metric of the float model, if the evaluator reports one. @default "floatAccuracy" */
  readonly floatMetric?: string;
  /** @default [2, 3, 4] */
  readonly bits?: readonly number[];
  /** Targets swept for methods that have a `target` option. @default ["quantized", "float"] */
  readonly targets?: readonly ("quantized" | "float")[];
  /** Calibration samples m passed to data-driven methods. @default 256 */
  readonly samples?: number;
  /** @default "midtread" */
  readonly alphabet?: "midtread" | "midrise";
  /** @default 0 */
  readonly seed?: number;
  /** Called before each run with a label such as `gpfq 3 bits (target float)`. */
  readonly onProgress?: (label: string, done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** One (method, target, bits) cell of the model experiment. */
export interface ModelRow {
  readonly method: string;
  /** `null` for methods without a `target` option (plain MSQ). */
  readonly target: "quantized" | "float" | null;
  readonly bits: number;
  /** The evaluator's metric on the decoded model (null with the evaluator's reason). */
  readonly accuracy: number | null;
  readonly floatAccuracy: number | null;
  readonly samples: number;
  readonly alphabet: string;
}

/**
 * Seed 004's model experiment (spec §5.2): test accuracy vs bits for every method, for both
 * `target` options where a method has one, each run through `runPipeline` (quantize → dequantize →
 * evaluate) on the same model, alphabet, calibration samples and seed.
 *
 * @throws {InvalidOptionsError} when a list is empty
 */
export async function runModelExperiment(opts: ModelExperimentOptions): Promise<ModelRow[]> {
  const bitsList = opts.bits ?? [2, 3, 4];
  const targets = opts.targets ?? ["quantized", "float"];
  const samples = opts.samples ?? 256, alphabet = opts.alphabet ?? "midtread", seed = opts.seed ?? 0;
  const metric = opts.metric ?? "accuracy", floatMetric = opts.floatMetric ?? "floatAccuracy";
  for (const [name, list] of [["bits", bitsList], ["targets", targets], ["methods", opts.methods]] as const) {
    if (list.length === 0) throw new InvalidOptionsError("experiment preprocessed-msq", name, "must not be empty");
  }
  const cells: { method: ExperimentMethod; bits: number; target: "quantized" | "float" | null }[] = [];
  for (const method of opts.methods) {
    // A method sweeps `target` only if it has that option.
    const usesTarget = "target" in methodOptions(method, { target: targets[0] });
    for (const bits of bitsList) {
      for (const target of usesTarget ? targets : [null]) cells.push({ method, bits, target });
    }
  }
  const rows: ModelRow[] = [];
  for (const [i, c] of cells.entries()) {
    if (opts.signal) throwIfAborted({ signal: opts.signal });
    opts.onProgress?.(`${c.method.name} ${c.bits} bits${c.target ? ` (target ${c.target})` : ""}`, i, cells.length);
    const options = methodOptions(c.method, { bits: c.bits, samples, alphabet, ...(c.target ? { target: c.target } : {}) });
    const r = await runPipeline({
      model: opts.model,
      quantizer: { plugin: c.method.plugin, options },
      evaluators: [{ plugin: opts.evaluator, options: opts.evaluatorOptions }],
      options: { seed, signal: opts.signal },
    });
    const value = (name: string) => r.metrics.find((m) => m.name === name && m.tensor === undefined)?.value ?? null;
    rows.push({ method: c.method.name, target: c.target, bits: c.bits, accuracy: value(metric), floatAccuracy: value(floatMetric), samples, alphabet });
  }
  opts.onProgress?.("done", cells.length, cells.length);
  return rows;
}

const pct = (v: number | null): string => (v === null ? "–" : `${(100 * v).toFixed(2)} %`);

/** Markdown table of the model experiment: one row per bit width, one column per method/target. */
export function modelMarkdown(rows: readonly ModelRow[], modelId: string): string {
  const cols = [...new Map(rows.map((r) => [`${r.method}|${r.target ?? ""}`, r])).values()];
  const bits = [...new Set(rows.map((r) => r.bits))].sort((a, b) => a - b);
  const head = cols.map((c) => (c.target ? `${c.method} (target ${c.target})` : c.method));
  const floatAcc = rows.find((r) => r.floatAccuracy !== null)?.floatAccuracy ?? null;
  const out = [
    `### Test accuracy of ${modelId} (alphabet ${rows[0]?.alphabet ?? "midtread"}, m = ${rows[0]?.samples ?? "?"} calibration samples, m_l = min(m, ⌊N0/2⌋) for preprocessed MSQ)`,
    "",
    `Float model: ${pct(floatAcc)}.`,
    "",
    `| bits | ${head.join(" | ")} |`,
    `|---:|${head.map(() => "---:").join("|")}|`,
  ];
  for (const b of bits) {
    const cells = cols.map((c) => pct(rows.find((r) => r.bits === b && r.method === c.method && r.target === c.target)?.accuracy ?? null));
    out.push(`| ${b} | ${cells.join(" | ")} |`);
  }
  return `${out.join("\n")}\n`;
}
