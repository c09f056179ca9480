/** Builds the {@link TfjsModelProbe} of an in-memory tfjs network (split from `probe.ts`, which re-exports it). */

import type { LayersModel } from "@tensorflow/tfjs";
import { FormatError, InvalidOptionsError, Rng, ShapeMismatchError, shapeSize, type Dataset, type LayerInputMatrix, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { selectSamples, type DatasetSplit } from "@quantforge/datasets";
import { forwardLogits, paramTensors, predictProbabilities } from "./forward.js";
import { netSpecFromLayersModel } from "./from-layers.js";
import { exactHessianDiagonal } from "./hessian.js";
import { im2col } from "./im2col-impl.js";
import { saveLayersModel } from "./model-io.js";
import { layerInfos, paramOps, type NetSpec } from "./net.js";
import { getTf, type Tf } from "./tf.js";
import type { TrainingRecord } from "./train.js";
import type { TfjsModelProbe } from "./probe.js";

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
