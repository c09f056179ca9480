import { fileURLToPath } from "node:url";
import type { LayersModel } from "@tensorflow/tfjs";
import { Rng, UnknownPluginError } from "@quantforge/core";
import type { Tf } from "./tf.js";

/** Ids of the reference networks shipped with trained weights. */
export const REFERENCE_MODEL_IDS = ["mnist-mlp", "mnist-lenet5"] as const;
/** One of {@link REFERENCE_MODEL_IDS}. */
export type ReferenceModelId = (typeof REFERENCE_MODEL_IDS)[number];

/** Training settings used for the committed weights (and the defaults of `trainModel`). */
export const REFERENCE_TRAINING: Record<ReferenceModelId, { readonly epochs: number; readonly batchSize: number; readonly learningRate: number; readonly seed: number; readonly shift: number }> = {
  "mnist-mlp": { epochs: 30, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 2 },
  "mnist-lenet5": { epochs: 15, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 2 },
};

/** True if `id` names a reference network. */
export function isReferenceModelId(id: string): id is ReferenceModelId {
  return (REFERENCE_MODEL_IDS as readonly string[]).includes(id);
}

/** Folder of a reference model's committed files (`model.json`, weights, moments, training record). */
export function referenceModelDir(id: ReferenceModelId): string {
  // src/ and dist/ both sit one level below the package root, beside models/.
  return fileURLToPath(new URL(`../models/${id}/`, import.meta.url));
}

/** A seed for a layer's initialiser, derived from the training seed and the layer name. */
function layerSeed(seed: number, layer: string): number {
  return new Rng(seed).fork(layer).int(0, 0x7fffffff);
}

/**
 * Builds an untrained reference network with seeded Glorot-uniform kernels and zero biases.
 * - `mnist-mlp`: LeNet-300-100 — flatten 784 → dense 300 ReLU → dense 100 ReLU → dense 10 softmax
 *   (266,610 parameters; the MLP of seeds 000–002).
 * - `mnist-lenet5`: the Caffe LeNet-5 of seed 003 — conv 20@5×5 → max-pool 2 → conv 50@5×5 →
 *   max-pool 2 → flatten 800 → dense 500 ReLU → dense 10 softmax (431,080 parameters). As in
 *   Caffe's `lenet_train_test.prototxt` the convolutions have no activation.
 */
export function buildReferenceModel(tf: Tf, id: string, seed: number): LayersModel {
  const init = (layer: string) => tf.initializers.glorotUniform({ seed: layerSeed(seed, layer) });
  const m = tf.sequential({ name: id });
  if (id === "mnist-mlp") {
    m.add(tf.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
    m.add(tf.layers.dense({ units: 300, activation: "relu", name: "dense_1", kernelInitializer: init("dense_1") }));
    m.add(tf.layers.dense({ units: 100, activation: "relu", name: "dense_2", kernelInitializer: init("dense_2") }));
    m.add(tf.layers.dense({ units: 10, activation: "softmax", name: "dense_3", kernelInitializer: init("dense_3") }));
  } else if (id === "mnist-lenet5") {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 20, kernelSize: 5, padding: "valid", name: "conv2d_1", kernelInitializer: init("conv2d_1") }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "max_pooling2d_1" }));
    m.add(tf.layers.conv2d({ filters: 50, kernelSize: 5, padding: "valid", name: "conv2d_2", kernelInitializer: init("conv2d_2") }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "max_pooling2d_2" }));
    m.add(tf.layers.flatten({ name: "flatten" }));
    m.add(tf.layers.dense({ units: 500, activation: "relu", name: "dense_1", kernelInitializer: init("dense_1") }));
    m.add(tf.layers.dense({ units: 10, activation: "softmax", name: "dense_2", kernelInitializer: init("dense_2") }));
  } else {
    throw new UnknownPluginError("model", id, REFERENCE_MODEL_IDS);
  }
  return m;
}
