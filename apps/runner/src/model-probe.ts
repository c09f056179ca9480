import { stat } from "node:fs/promises";
import { IoError, printable, type ModelProbe } from "@quantforge/core";
import { checkRangeNames, describeGenerated, generateSamples, type FileModelProbe, type InputRanges } from "@quantforge/datasets";
import { isReferenceStyleModel, loadModel } from "@quantforge/model-tfjs";
import { UsageError } from "./errors.js";

/** What `--model` names: a reference-style MNIST network, any tfjs model.json, or an ONNX file. */
export type ModelKind = "reference" | "tfjs" | "onnx";

/** Options of {@link loadAnyModel}. */
export interface LoadAnyModelOptions {
  /**
   * Reference-style models: `embedded` (default) or an IDX folder. Other models: a `.safetensors`
   * file of model inputs (calibration data), or nothing (fidelity then uses seeded random inputs).
   */
  readonly data?: string;
  /** `--input-shape` values: per-sample shapes of inputs with unknown dimensions. */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** `--input-range` values: ranges of the generated inputs. */
  readonly inputRanges?: InputRanges;
  /** ONNX models without `data`: seed of the generated inputs layer inputs are captured on (gptq, gpfq). */
  readonly seed?: number;
}

/** True for a path naming an ONNX file. */
export function isOnnxPath(p: string): boolean {
  return p.toLowerCase().endsWith(".onnx");
}

/**
 * How {@link loadAnyModel} loads `model`: `reference` (mnist-mlp, mnist-lenet5, a folder with a
 * training.json, or a layers model given MNIST data — these have a labelled test set and the
 * accuracy evaluator), `onnx`, or `tfjs` (any other model.json, graph or layers).
 */
export function modelKind(model: string, data?: string): ModelKind {
  if (isOnnxPath(model)) return "onnx";
  return isReferenceStyleModel(model, data) ? "reference" : "tfjs";
}

/**
 * Refuses a model path that exists but is neither a folder (reference models) nor a regular file:
 * a FIFO or device would hang or stream forever in the format readers. `stat` never opens the
 * file, so this check itself cannot block. Names that do not exist are left to the loaders
 * (reference ids).
 *
 * @throws {IoError} (`QF_IO`, exit 2).
 */
export async function assertModelEntry(model: string): Promise<void> {
  const st = await stat(model).catch(() => undefined);
  if (st && !st.isFile() && !st.isDirectory()) {
    throw new IoError(`model "${printable(model)}" is not a regular file (${st.isFIFO() ? "a FIFO" : "a device or socket"}). Pass a model.json, an .onnx file or a model folder.`);
  }
}

/**
 * Loads the model `--model`/`<model>` names as a runnable probe: a reference id or model folder
 * through model-tfjs's reference loader, any other tfjs model.json (graph or layers) through its
 * file probe, an `.onnx` file through model-onnx (one onnxruntime session).
 */
export async function loadAnyModel(model: string, o: LoadAnyModelOptions = {}): Promise<ModelProbe> {
  await assertModelEntry(model);
  const opts = { ...(o.data !== undefined ? { data: o.data } : {}), ...(o.inputShapes && o.inputShapes.size > 0 ? { inputShapes: o.inputShapes } : {}), ...(o.data !== undefined && o.inputRanges ? { inputRanges: o.inputRanges } : {}) };
  // model-onnx pulls in protobufjs and onnxruntime: imported only when an ONNX model is loaded.
  const probe = isOnnxPath(model)
    ? await (await import("@quantforge/model-onnx")).loadOnnxModelProbe(model, { id: model, ...opts, ...(o.inputRanges ? { inputRanges: o.inputRanges } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) })
    : await loadModel(model, opts);
  return withInputSampler(probe, o.inputRanges);
}

/**
 * Gives a file-backed probe (one with an input `layout`) the shared input generator as
 * `sampleInputs`, so `compare`, `sensitivity`, `run --model` and `auto` feed the same seeded inputs
 * as `quantize`. Reference models (MNIST) keep their own data.
 *
 * @throws {ShapeMismatchError} when `ranges` name an input the model does not have.
 */
export function withInputSampler<P extends ModelProbe>(probe: P, ranges?: InputRanges): P {
  const layout = (probe as Partial<FileModelProbe>).layout;
  if (!layout) {
    if (ranges?.all || ranges?.byName) throw new UsageError("--input-range applies to tfjs and ONNX models without reference data; leave it out.");
    return probe;
  }
  checkRangeNames(layout, ranges);
  const sampleInputs = (count: number, seed: number) => ({ inputs: generateSamples(layout, count, seed, ranges), description: describeGenerated(layout, count, seed, ranges) });
  return Object.assign(probe, { sampleInputs });
}

export { INPUT_RANGE_HELP, INPUT_SHAPE_HELP, MODEL_DATA_HELP, MODEL_HELP } from "./model-help.js";

/** Frees what a probe holds (tfjs tensors, an onnxruntime session), when it can. */
export async function disposeModel(probe: ModelProbe | undefined): Promise<void> {
  await (probe as { dispose?: () => unknown } | undefined)?.dispose?.();
}
