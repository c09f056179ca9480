import { join } from "node:path";
import type { LayersModel, Tensor, Tensor2D, Variable } from "@tensorflow/tfjs";
import { shapeSize, type Dataset, type WeightTensor } from "@quantforge/core";
import { EMBEDDED_MNIST_SEED, loadDataSource, type DatasetSplit } from "@quantforge/datasets";
import { forwardLogits } from "./forward.js";
import { netSpecFromLayersModel } from "./from-layers.js";
import { saveLayersModel, writeFileAtomic, writeMoments } from "./model-io.js";
import { paramOps, paramShape, type NetSpec } from "./net.js";
import { buildReferenceModel, isReferenceModelId, REFERENCE_TRAINING } from "./reference.js";
import { getTf, type Tf } from "./tf.js";
import { BETA1, BETA2, EPSILON, adamTrain, validateLoop } from "./adam-loop.js";

/** One point of the training curve. */
export interface EpochRecord {
  readonly epoch: number;
  /** Mean training cross-entropy over the epoch's batches. */
  readonly loss: number;
  /** Top-1 accuracy on the training split after the epoch. */
  readonly trainAccuracy: number;
  /** Top-1 accuracy on the test split after the epoch. */
  readonly testAccuracy: number;
  /** Wall time of the epoch's training steps (not the evaluation). */
  readonly seconds: number;
}

/** What `training.json` records. */
export interface TrainingRecord {
  readonly id: string;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Maximum random translation in pixels applied to training images (0 = none). */
  readonly shift: number;
  readonly optimizer: { readonly name: "adam"; readonly beta1: number; readonly beta2: number; readonly epsilon: number; readonly iterations: number };
  readonly data: { readonly source: string; readonly splitSeed?: number; readonly trainCount: number; readonly testCount: number };
  readonly backend: string;
  readonly tfjsVersion: string;
  readonly parameters: number;
  readonly curve: readonly EpochRecord[];
  readonly finalTestAccuracy: number;
}

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** Epochs (default: the reference model's setting). */
  readonly epochs?: number;
  /** Seed of initialisation and batch order (default 1). */
  readonly seed?: number;
  /** `"embedded"` (default), an IDX directory, or a ready split. */
  readonly data?: "embedded" | (string & {}) | DatasetSplit;
  /** Seed of the embedded data's train/test split (default the datasets package's). */
  readonly dataSeed?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /**
   * Random translation of each training image by up to `shift` pixels in each direction (zero
   * fill), drawn from the seeded generator (default: the reference model's setting; 0 = off).
   */
  readonly shift?: number;
  /** Called after every epoch (progress). */
  readonly onEpoch?: (e: EpochRecord, epochs: number) => void;
}

/** A trained network: the tfjs model (trained in place), Adam's v̂ and the record. */
export interface TrainedModel {
  readonly id: string;
  readonly model: LayersModel;
  readonly spec: NetSpec;
  /** Adam's bias-corrected second moments v̂ = v / (1 − β2^t), one tensor per parameter. */
  readonly moments: readonly WeightTensor[];
  readonly record: TrainingRecord;
}

/** The tf.Variables behind a model's dense/conv parameters, by manifest name. */
export function modelVariables(model: LayersModel, spec: NetSpec): Map<string, Variable> {
  const byName = new Map<string, Variable>();
  for (const w of model.weights) byName.set(w.originalName, (w as unknown as { read(): Variable }).read());
  const out = new Map<string, Variable>();
  for (const { op } of paramOps(spec)) {
    for (const n of [op.kernel, op.bias]) if (n) out.set(n, byName.get(n)!);
  }
  return out;
}

/** Top-1 accuracy of the network with parameter tensors `params` on `ds`. */
export async function accuracyWith(tf: Tf, spec: NetSpec, params: ReadonlyMap<string, Tensor>, ds: Dataset, batchSize = 500): Promise<number> {
  const per = shapeSize(spec.inputShape);
  let correct = 0;
  for (let s = 0; s < ds.count; s += batchSize) {
    const b = Math.min(batchSize, ds.count - s);
    const pred = tf.tidy(() => tf.argMax(forwardLogits(tf, spec, params, tf.tensor(ds.inputs.subarray(s * per, (s + b) * per), [b, ...spec.inputShape])) as Tensor2D, 1));
    const p = (await pred.data()) as Int32Array;
    pred.dispose();
    for (let i = 0; i < b; i++) if (p[i] === ds.labels[s + i]) correct++;
  }
  return ds.count === 0 ? 0 : correct / ds.count;
}

/**
 * Trains a tfjs LayersModel in place with Adam (β1 0.9, β2 0.999, ε 1e-7) on the softmax
 * cross-entropy of its logits. Batches follow a seeded permutation per epoch (core `Rng`),
 * never `Math.random`, so a run is reproducible. Returns the model, Adam's v̂ and the curve.
 */
export async function trainLayersModel(
  tf: Tf,
  id: string,
  model: LayersModel,
  data: DatasetSplit,
  o: Required<Pick<TrainOptions, "epochs" | "seed" | "batchSize" | "learningRate">> & Pick<TrainOptions, "onEpoch" | "shift"> & { source: string; splitSeed?: number },
): Promise<TrainedModel> {
  const spec = netSpecFromLayersModel(model);
  const { train, test } = data;
  const shift = validateLoop(spec, o, train, "train");
  const vars = modelVariables(model, spec);
  const curve: EpochRecord[] = [];
  const optimizer = await adamTrain(tf, spec, vars, train, { ...o, shift }, async (epoch, loss, seconds) => {
    const rec: EpochRecord = {
      epoch,
      loss,
      seconds,
      trainAccuracy: await accuracyWith(tf, spec, vars, train),
      testAccuracy: await accuracyWith(tf, spec, vars, test),
    };
    curve.push(rec);
    o.onEpoch?.(rec, o.epochs);
  });
  // Adam's state: [iterations, m…, v…]; v entries are named "<variable name>/v".
  const ow = await optimizer.getWeights();
  const iterations = (await ow[0]!.tensor.data())[0]!;
  const vByVar = new Map(ow.slice(1).map((w) => [w.name, w.tensor]));
  const correction = 1 - Math.pow(BETA2, iterations);
  const moments: WeightTensor[] = [];
  for (const { op } of paramOps(spec)) {
    for (const which of ["kernel", "bias"] as const) {
      const n = which === "kernel" ? op.kernel : op.bias;
      if (!n) continue;
      const v = vByVar.get(`${vars.get(n)!.name}/v`);
      const raw = v ? ((await v.data()) as Float32Array) : new Float32Array(shapeSize(paramShape(op, which)));
      const d = new Float32Array(raw.length);
      for (let i = 0; i < d.length; i++) d[i] = raw[i]! / correction;
      moments.push({ name: n, shape: paramShape(op, which), data: d, role: which === "kernel" ? "weight" : "bias", layer: op.layer, layerKind: op.kind });
    }
  }
  optimizer.dispose();
  const record: TrainingRecord = {
    id,
    seed: o.seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    shift,
    optimizer: { name: "adam", beta1: BETA1, beta2: BETA2, epsilon: EPSILON, iterations },
    data: { source: o.source, ...(o.splitSeed !== undefined ? { splitSeed: o.splitSeed } : {}), trainCount: train.count, testCount: test.count },
    backend: tf.getBackend(),
    tfjsVersion: tf.version.tfjs,
    parameters: model.countParams(),
    curve,
    finalTestAccuracy: curve[curve.length - 1]!.testAccuracy,
  };
  return { id, model, spec, moments, record };
}

/**
 * Trains a reference network (`mnist-mlp`, `mnist-lenet5`) from seeded initial weights with Adam
 * on the chosen data and records the float accuracy. Deterministic for a seed on one backend.
 */
export async function trainModel(id: string, opts: TrainOptions = {}): Promise<TrainedModel> {
  const tf = await getTf();
  const defaults = isReferenceModelId(id) ? REFERENCE_TRAINING[id] : REFERENCE_TRAINING["mnist-mlp"];
  const seed = opts.seed ?? defaults.seed;
  const model = buildReferenceModel(tf, id, seed);
  const src = opts.data ?? "embedded";
  const data = typeof src === "string" ? loadDataSource(src, { seed: opts.dataSeed }) : src;
  return trainLayersModel(tf, id, model, data, {
    epochs: opts.epochs ?? defaults.epochs,
    seed,
    batchSize: opts.batchSize ?? defaults.batchSize,
    learningRate: opts.learningRate ?? defaults.learningRate,
    shift: opts.shift ?? defaults.shift,
    onEpoch: opts.onEpoch,
    source: typeof src === "string" ? src : "custom",
    ...(src === "embedded" ? { splitSeed: opts.dataSeed ?? EMBEDDED_MNIST_SEED } : {}),
  });
}

/**
 * Writes a trained network to `dir`: `model.json` + `weights.bin` (tfjs layers format),
 * `adam-moments.json` + `adam-moments.bin` (v̂ per parameter) and `training.json`.
 */
export async function saveTrainedModel(t: TrainedModel, dir: string): Promise<void> {
  const tf = await getTf();
  await saveLayersModel(tf, t.model, dir);
  const r = t.record;
  writeMoments(dir, { optimizer: { name: "adam", learningRate: r.learningRate, beta1: r.optimizer.beta1, beta2: r.optimizer.beta2, epsilon: r.optimizer.epsilon }, iterations: r.optimizer.iterations }, t.moments);
  writeFileAtomic(join(dir, "training.json"), `${JSON.stringify(r, null, 1)}\n`);
}

/**
 * What `quantforge train <model> --out <dir>` does: {@link trainModel} then
 * {@link saveTrainedModel}; returns the training record.
 */
export async function trainAndSave(id: string, out: string, opts: TrainOptions = {}): Promise<TrainingRecord> {
  const t = await trainModel(id, opts);
  await saveTrainedModel(t, out);
  t.model.dispose();
  return t.record;
}

export { shiftImage } from "./adam-loop.js";
