import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { LayersModel } from "@tensorflow/tfjs";
import { FormatError, InvalidOptionsError, IoError, printable, type Dataset, type LayerInfo, type ModelProbe, type WeightSet } from "@quantforge/core";
import { EMBEDDED_MNIST_SEED, hasImages, loadDataSource, type InputRanges } from "@quantforge/datasets";
import { legacyTfjsAdvice } from "@quantforge/io-tfjs";
import { loadTfjsModelProbe, type TfjsFileModelProbe } from "./file-probe.js";
import { layersModelFromArtifacts, readMoments, readTfjsArtifacts, MOMENTS_JSON } from "./model-io.js";
import type { NetSpec } from "./net.js";
import { isReferenceModelId, referenceModelDir, REFERENCE_MODEL_IDS } from "./reference.js";
import { getTf } from "./tf.js";
import type { TrainingRecord } from "./train.js";
import { createProbe } from "./create-probe.js";

/** A tfjs network as quantforge sees it: float weights plus every model capability. */
export interface TfjsModelProbe extends ModelProbe {
  readonly id: string;
  readonly weights: WeightSet;
  readonly layers: readonly LayerInfo[];
  readonly forward: NonNullable<ModelProbe["forward"]>;
  readonly layerInputs: NonNullable<ModelProbe["layerInputs"]>;
  readonly hessian: NonNullable<ModelProbe["hessian"]>;
  readonly testSet: Dataset;
  readonly calibrationSet: Dataset;
  /** The chain the adapter runs (shapes, ops). */
  readonly spec: NetSpec;
  /** The tfjs model holding the float weights. */
  readonly model: LayersModel;
  /** The training record (`training.json`), when the model has one. */
  readonly training?: TrainingRecord;
  /** Saves the model as tfjs `model.json` + `weights.bin`, optionally with other (e.g. dequantized) weights. */
  save(dir: string, weights?: WeightSet): Promise<void>;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Reference-style models: data for the test and calibration sets, `"embedded"` (their default)
   * or a directory of IDX files. Other models: a `.safetensors` file of model inputs (see
   * {@link loadTfjsModelProbe}), or nothing.
   */
  readonly data?: "embedded" | (string & {});
  /**
   * Seed of the embedded data's train/test split. Default: the split seed recorded in the model's
   * `training.json`, so the test split is the one held out in training (else the datasets default).
   */
  readonly seed?: number;
  /** Other models: per-sample shapes of inputs with unknown dimensions (see {@link loadTfjsModelProbe}). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Other models: pixel range of a `data` folder of images (see {@link loadTfjsModelProbe}). */
  readonly inputRanges?: InputRanges;
}

/** Resolves a model name to its `model.json`: a reference id, a `model.json` path or a folder holding one. */
export function resolveModelJson(idOrPath: string): { id: string; path: string } {
  if (isReferenceModelId(idOrPath)) {
    const path = join(referenceModelDir(idOrPath), "model.json");
    if (!existsSync(path)) throw new IoError(`the reference model "${idOrPath}" has no trained weights at ${path}. Run: quantforge train ${idOrPath} --out ${dirname(path)}`);
    return { id: idOrPath, path };
  }
  const p = resolve(idOrPath);
  if (existsSync(p) && statSync(p).isDirectory()) {
    const j = join(p, "model.json");
    if (existsSync(j)) return { id: idOrPath, path: j };
    const legacy = join(p, "tensorflowjs_model.pb");
    if (existsSync(legacy)) throw new FormatError(legacyTfjsAdvice(`"${printable(legacy)}"`));
  } else if (existsSync(p)) {
    return { id: idOrPath, path: p };
  }
  throw new IoError(`"${idOrPath}" is neither a reference model (${REFERENCE_MODEL_IDS.join(", ")}) nor a tfjs model.json file or folder. Pass one of those.`);
}

function readTraining(dir: string): TrainingRecord | undefined {
  const p = join(dir, "training.json");
  if (!existsSync(p)) return undefined;
  // Sync read of a file in the user's folder: only a regular file (a FIFO would block forever).
  if (!statSync(p).isFile()) throw new FormatError(`${p} is not a regular file. Replace it with the training.json that "quantforge train" wrote, or delete it.`);
  try {
    return JSON.parse(readFileSync(p, "utf8")) as TrainingRecord;
  } catch (e) {
    throw new FormatError(`${p} is not valid JSON. Retrain the model or delete the file.`, e);
  }
}

/**
 * Loads a reference network (`mnist-mlp`, `mnist-lenet5`: committed trained weights) or a tfjs
 * layers `model.json` of the same kind (its weights validated against the manifest;
 * {@link FormatError} on a mismatch), with test and calibration data, and returns a probe offering
 * every model capability. Adam's second moments are offered when `adam-moments.json` sits beside
 * the model.
 */
export async function loadReferenceModel(idOrPath: string, opts: LoadModelOptions = {}): Promise<TfjsModelProbe> {
  const tf = await getTf();
  const { id, path } = resolveModelJson(idOrPath);
  const dir = dirname(path);
  const artifacts = await readTfjsArtifacts(path);
  const model = await layersModelFromArtifacts(tf, artifacts, path);
  const training = readTraining(dir);
  const source = opts.data ?? "embedded";
  const data = loadDataSource(source, { seed: opts.seed ?? training?.data.splitSeed ?? EMBEDDED_MNIST_SEED });
  const moments = existsSync(join(dir, MOMENTS_JSON)) ? (await readMoments(dir)).moments : undefined;
  return createProbe(model, { id, data, ...(moments ? { moments } : {}), ...(training ? { training } : {}) });
}

const isDirectory = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** A folder holding PNG/JPEG images (model inputs for `--data`, not MNIST IDX files). */
function isImageFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && hasImages(readdirSync(path));
  } catch {
    return false;
  }
}

/**
 * True when {@link loadModel} loads `idOrPath` as a reference-style MNIST network (with MNIST
 * test data, Hessian, layer inputs, …): a reference id, a model folder with a `training.json`, or
 * a layers model given MNIST data (`data` = `"embedded"` or an IDX folder) — unless `data` is a
 * `.safetensors` file of model inputs. Everything else is loaded by {@link loadTfjsModelProbe}.
 */
export function isReferenceStyleModel(idOrPath: string, data?: string): boolean {
  // A .safetensors data file holds model inputs, which only the file probe reads.
  if (data !== undefined && data.toLowerCase().endsWith(".safetensors")) return false;
  // A folder of images holds model inputs too (MNIST folders hold IDX files).
  if (data !== undefined && isImageFolder(data)) return false;
  if (isReferenceModelId(idOrPath)) return true;
  let path: string;
  try {
    path = resolveModelJson(idOrPath).path;
  } catch {
    return false;
  }
  if (existsSync(join(dirname(path), "training.json"))) return true;
  if (data === undefined || !(data === "embedded" || isDirectory(data))) return false;
  try {
    if (!statSync(path).isFile()) return false; // a FIFO or device: the file probe refuses it with a typed error
    const j = JSON.parse(readFileSync(path, "utf8")) as { format?: unknown; modelTopology?: { node?: unknown } };
    return j.format !== "graph-model" && !Array.isArray(j.modelTopology?.node);
  } catch {
    return false;
  }
}

/**
 * Loads a tfjs model: reference-style networks (see {@link isReferenceStyleModel}) with every
 * capability through {@link loadReferenceModel}; any other `model.json` — graph or layers model —
 * as a runnable probe through {@link loadTfjsModelProbe} (`opts.data` then names a `.safetensors`
 * file of model inputs).
 *
 * @throws {IoError} when `idOrPath` is neither a reference id nor an existing model.json or folder.
 * @throws {InvalidOptionsError} for MNIST data (`embedded`, an IDX folder) with a graph model.
 */
export async function loadModel(idOrPath: string, opts: LoadModelOptions = {}): Promise<TfjsModelProbe | TfjsFileModelProbe> {
  if (isReferenceStyleModel(idOrPath, opts.data)) return loadReferenceModel(idOrPath, opts);
  const { id, path } = resolveModelJson(idOrPath);
  if (path.toLowerCase().endsWith(".onnx")) throw new FormatError(`"${idOrPath}" is an ONNX model, not a tfjs model.json. Load it with loadOnnxModelProbe from @quantforge/model-onnx.`);
  // A folder is read as images by the file probe (one without images is a QF_USAGE error there).
  if (opts.data === "embedded") {
    throw new InvalidOptionsError("model-tfjs", "data", `"${opts.data}" (MNIST digits) only goes with MNIST layers models, which "${idOrPath}" is not. Give a .safetensors file of model inputs`);
  }
  return loadTfjsModelProbe(path, {
    id,
    ...(opts.data !== undefined ? { data: opts.data } : {}),
    ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}),
    ...(opts.inputRanges ? { inputRanges: opts.inputRanges } : {}),
  });
}

export { createProbe } from "./create-probe.js";
export type { CreateProbeOptions } from "./create-probe.js";
