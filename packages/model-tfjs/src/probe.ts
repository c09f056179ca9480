import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { LayersModel } from "@tensorflow/tfjs";
import { FormatError, InvalidOptionsError, IoError, Rng, ShapeMismatchError, shapeSize, type Dataset, type LayerInfo, type LayerInputMatrix, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { EMBEDDED_MNIST_SEED, hasImages, loadDataSource, selectSamples, type DatasetSplit, type InputRanges } from "@quantforge/datasets";
import { forwardLogits, paramTensors, predictProbabilities } from "./forward.js";
import { netSpecFromLayersModel } from "./from-layers.js";
import { loadTfjsModelProbe, type TfjsFileModelProbe } from "./file-probe.js";
import { exactHessianDiagonal } from "./hessian.js";
import { im2col } from "./im2col-impl.js";
import { layersModelFromArtifacts, readMoments, readTfjsArtifacts, saveLayersModel, MOMENTS_JSON } from "./model-io.js";
import { layerInfos, paramOps, type NetSpec } from "./net.js";
import { isReferenceModelId, referenceModelDir, REFERENCE_MODEL_IDS } from "./reference.js";
import { getTf, type Tf } from "./tf.js";
import type { TrainingRecord } from "./train.js";

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

/** Options of {@link createProbe}. */
export interface CreateProbeOptions {
  readonly id: string;
  /** Train split (calibration set) and test split. */
  readonly data: DatasetSplit;
  /** Adam's v̂ per parameter, if known. */
  readonly moments?: readonly WeightTensor[];
  readonly training?: TrainingRecord;
}

function weightSetOf(model: LayersModel, spec: NetSpec): WeightTensor[] {
  const vals = new Map<string, Float32Array>();
  for (const w of model.weights) vals.set(w.originalName, (w as unknown as { read(): { dataSync(): Float32Array } }).read().dataSync().slice());
  const out: WeightTensor[] = [];
  for (const { op } of paramOps(spec)) {
    const kernelShape = op.kind === "dense" ? [op.inUnits, op.units] : [op.kernelSize[0], op.kernelSize[1], op.inChannels, op.filters];
    out.push({ name: op.kernel, shape: kernelShape, data: vals.get(op.kernel)!, role: "weight", layer: op.layer, layerKind: op.kind, outputAxis: -1, inputAxis: -2 });
    if (op.bias) out.push({ name: op.bias, shape: [kernelShape[kernelShape.length - 1]!], data: vals.get(op.bias)!, role: "bias", layer: op.layer, layerKind: op.kind });
  }
  return out;
}

async function layerInputMatrix(tf: Tf, spec: NetSpec, weights: WeightSet, layer: string, samples: number, ds: Dataset): Promise<LayerInputMatrix> {
  const found = paramOps(spec).find(({ op }) => op.layer === layer);
  if (!found)
    throw new InvalidOptionsError(
      "layerInputs",
      "layer",
      `"${layer}" is not a dense or conv layer of the model (layers: ${paramOps(spec)
        .map(({ op }) => op.layer)
        .join(", ")})`,
    );
  if (!Number.isInteger(samples) || samples < 1 || samples > ds.count) throw new InvalidOptionsError("layerInputs", "samples", `must be an integer in [1, ${ds.count}] (got ${samples})`);
  const { op, index } = found;
  const inShape = spec.shapes[index]!;
  const inPer = shapeSize(inShape);
  const per = shapeSize(spec.inputShape);
  const x = new Float32Array(samples * inPer);
  const params = paramTensors(tf, spec, weights);
  try {
    const batch = 500;
    for (let s = 0; s < samples; s += batch) {
      const b = Math.min(batch, samples - s);
      const t = tf.tidy(() => forwardLogits(tf, spec, params, tf.tensor(ds.inputs.subarray(s * per, (s + b) * per), [b, ...spec.inputShape]), { stopAt: index }));
      x.set(await t.data(), s * inPer);
      t.dispose();
    }
  } finally {
    for (const t of params.values()) t.dispose();
  }
  if (op.kind === "dense") return { rows: samples, cols: op.inUnits, data: x };
  const g = { height: inShape[0]!, width: inShape[1]!, channels: inShape[2]!, kernelSize: op.kernelSize, strides: op.strides, padding: op.padding };
  const data = im2col(x, samples, g);
  const cols = op.kernelSize[0] * op.kernelSize[1] * op.inChannels;
  return { rows: data.length / cols, cols, data };
}

/** Everything a probe is built from (internal). */
interface ProbeParts {
  readonly id: string;
  readonly model: LayersModel;
  readonly spec: NetSpec;
  readonly weights: WeightSet;
  readonly testSet: Dataset;
  readonly calibrationSet: Dataset;
  readonly optimizer?: NonNullable<ModelProbe["optimizer"]>;
  readonly training?: TrainingRecord;
}

function buildProbe(parts: ProbeParts): TfjsModelProbe {
  const { spec, weights, calibrationSet: calibration } = parts;
  const hessianCache = new Map<string, Promise<WeightSet>>();
  return {
    id: parts.id,
    weights,
    layers: layerInfos(spec),
    spec,
    model: parts.model,
    testSet: parts.testSet,
    calibrationSet: calibration,
    ...(parts.training ? { training: parts.training } : {}),
    forward: {
      predict: async (ws, inputs, count) => predictProbabilities(await getTf(), spec, ws, inputs, count),
    },
    layerInputs: {
      layerInputs: async (layer, samples, ws) => layerInputMatrix(await getTf(), spec, ws ?? weights, layer, samples, calibration),
    },
    hessian: {
      hessianDiagonal: ({ samples, seed }) => {
        if (!Number.isInteger(samples) || samples < 1 || samples > calibration.count) {
          return Promise.reject(new InvalidOptionsError("hessianDiagonal", "samples", `must be an integer in [1, ${calibration.count}] (the calibration set's size), got ${samples}`));
        }
        const key = `${samples}:${seed ?? 0}`;
        let p = hessianCache.get(key);
        if (!p) {
          // A seeded subset of the calibration (training) digits: the average training loss.
          const idx = new Int32Array(calibration.count);
          for (let i = 0; i < idx.length; i++) idx[i] = i;
          new Rng(seed ?? 0).fork("hessian-samples").shuffle(idx);
          const sub = selectSamples(calibration, idx.subarray(0, samples));
          p = (async () => exactHessianDiagonal(await getTf(), spec, weights, sub.inputs, sub.count))();
          hessianCache.set(key, p);
          p.catch(() => hessianCache.delete(key));
        }
        return p;
      },
    },
    ...(parts.optimizer ? { optimizer: parts.optimizer } : {}),
    save: async (dir, ws) => saveLayersModel(await getTf(), parts.model, dir, ws ?? weights),
  };
}

/**
 * Wraps a tfjs LayersModel (a chain of Dense/Conv2D/MaxPooling2D/Flatten layers, see
 * `netSpecFromLayersModel`) as a {@link TfjsModelProbe} with the given data.
 */
export async function createProbe(model: LayersModel, o: CreateProbeOptions): Promise<TfjsModelProbe> {
  await getTf();
  const spec = netSpecFromLayersModel(model);
  const per = shapeSize(spec.inputShape);
  for (const [k, ds] of [
    ["train", o.data.train],
    ["test", o.data.test],
  ] as const) {
    if (shapeSize(ds.sampleShape) !== per) throw new ShapeMismatchError(`the ${k} data has samples of shape [${ds.sampleShape.join(", ")}] but model "${o.id}" takes [${spec.inputShape.join(", ")}]. Use matching data.`);
    if (ds.classes > spec.classes) throw new ShapeMismatchError(`the ${k} data has ${ds.classes} classes but model "${o.id}" outputs ${spec.classes}. Use matching data.`);
  }
  const weights = weightSetOf(model, spec);
  let moments: WeightSet | undefined;
  if (o.moments) {
    const byName = new Map(o.moments.map((t) => [t.name, t]));
    moments = weights.map((w) => {
      const m = byName.get(w.name);
      if (!m || m.data.length !== w.data.length) throw new FormatError(`the Adam moments of model "${o.id}" lack tensor "${w.name}" or have a wrong size. Retrain the model to regenerate them.`);
      return { ...w, data: m.data };
    });
  }
  return buildProbe({
    id: o.id,
    model,
    spec,
    weights,
    testSet: o.data.test,
    calibrationSet: o.data.train,
    ...(moments ? { optimizer: { secondMoments: async () => moments } } : {}),
    ...(o.training ? { training: o.training } : {}),
  });
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
