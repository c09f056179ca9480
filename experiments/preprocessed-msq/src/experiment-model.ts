import { InvalidOptionsError, throwIfAborted, type EvaluatorPlugin, type ModelProbe, type WeightSet } from "@quantforge/core";
import { runPipeline } from "@quantforge/core/host";
import type { PreprocessedMsqLayerOutputError as LayerOutputError, PreprocessedMsqModelRow as ModelRow } from "@quantforge/report";
import { methodOptions, type ExperimentMethod } from "./experiment-synthetic.js";

export type { LayerOutputError, ModelRow };

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
  /**
   * Calibration samples after the first m (never seen by any method) on which each layer's output
   * error is also measured; 0 to skip. @default 1000
   */
  readonly heldOut?: number;
  /** Called before each run with a label such as `gpfq 3 bits (target float)`. */
  readonly onProgress?: (label: string, done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** Mean over neurons of ‖X_f w_o − X̃ q_o‖/‖X_f w_o‖ over rows [from, to) (row-major inputs, [fanIn, fanOut] kernels). */
function outputError(xf: Float32Array, xq: Float32Array, cols: number, from: number, to: number, w: Float32Array, q: Float32Array, fanOut: number): number | null {
  if (to <= from) return null;
  const ref = new Float64Array(fanOut),
    err = new Float64Array(fanOut),
    a = new Float64Array(fanOut),
    b = new Float64Array(fanOut);
  for (let r = from; r < to; r++) {
    a.fill(0);
    b.fill(0);
    for (let i = 0; i < cols; i++) {
      const vf = xf[r * cols + i]!,
        vq = xq[r * cols + i]!;
      if (vf === 0 && vq === 0) continue;
      const off = i * fanOut;
      for (let o = 0; o < fanOut; o++) {
        a[o] = a[o]! + vf * w[off + o]!;
        b[o] = b[o]! + vq * q[off + o]!;
      }
    }
    for (let o = 0; o < fanOut; o++) {
      ref[o] = ref[o]! + a[o]! * a[o]!;
      err[o] = err[o]! + (a[o]! - b[o]!) ** 2;
    }
  }
  let sum = 0,
    n = 0;
  for (let o = 0; o < fanOut; o++)
    if (ref[o]! > 0) {
      sum += Math.sqrt(err[o]! / ref[o]!);
      n++;
    }
  return n > 0 ? sum / n : null;
}

/** Layer-output errors of a decoded weight set on calibration rows [0, m) and held-out rows [m, m + heldOut). */
async function layerOutputErrors(model: ModelProbe, decoded: WeightSet, m: number, heldOut: number): Promise<LayerOutputError[]> {
  if (!model.layerInputs || !model.layers) return [];
  const total = Math.min(m + heldOut, model.calibrationSet?.count ?? m + heldOut);
  if (total < 1) return [];
  const out: LayerOutputError[] = [];
  for (const layer of model.layers) {
    const w = model.weights.find((t) => t.name === layer.weight)?.data;
    const q = decoded.find((t) => t.name === layer.weight)?.data;
    if (!w || !q) continue;
    const xf = await model.layerInputs.layerInputs(layer.name, total);
    const xq = await model.layerInputs.layerInputs(layer.name, total, decoded);
    // Conv layers give one row per sample × position: split by sample.
    const per = xf.rows / total;
    const split = Math.min(m, total) * per;
    out.push({
      layer: layer.name,
      calibration: outputError(xf.data, xq.data, xf.cols, 0, split, w, q, layer.fanOut),
      heldOut: outputError(xf.data, xq.data, xf.cols, split, xf.rows, w, q, layer.fanOut),
    });
  }
  return out;
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
  const samples = opts.samples ?? 256,
    alphabet = opts.alphabet ?? "midtread",
    seed = opts.seed ?? 0,
    heldOut = opts.heldOut ?? 1000;
  const metric = opts.metric ?? "accuracy",
    floatMetric = opts.floatMetric ?? "floatAccuracy";
  for (const [name, list] of [
    ["bits", bitsList],
    ["targets", targets],
    ["methods", opts.methods],
  ] as const) {
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
    const layers = await layerOutputErrors(opts.model, r.decoded, samples, heldOut);
    rows.push({ method: c.method.name, target: c.target, bits: c.bits, accuracy: value(metric), floatAccuracy: value(floatMetric), agreement: value("agreement"), klDivergence: value("klDivergence"), samples, alphabet, layers });
  }
  opts.onProgress?.("done", cells.length, cells.length);
  return rows;
}
