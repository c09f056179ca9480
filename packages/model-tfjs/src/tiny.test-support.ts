/** Test support: tiny seeded tfjs networks and data (not exported from the package). */
import type { LayersModel } from "@tensorflow/tfjs";
import type { Dataset } from "@quantforge/core";
import type { Tf } from "./tf.js";
import { lcg } from "./ref64.test-support.js";

/** A dense chain 6 → 5 ReLU → 4 ReLU → 3 softmax with seeded weights and non-zero biases. */
export function tinyDense(tf: Tf): LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [6],
      units: 5,
      activation: "relu",
      name: "dense_1",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.3, seed: 12 }),
    }),
  );
  m.add(tf.layers.dense({ units: 4, activation: "relu", name: "dense_2", kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.3, seed: 14 }) }));
  m.add(tf.layers.dense({ units: 3, activation: "softmax", name: "dense_3", kernelInitializer: tf.initializers.glorotUniform({ seed: 15 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 16 }) }));
  return m;
}

/**
 * A conv chain on [6,6,1]: conv 3@3×3 'same' ReLU → max-pool 2 → conv 4@2×2 'valid' (no
 * activation, as in Caffe's LeNet) → flatten 16 → dense 3 softmax.
 */
export function tinyConv(tf: Tf): LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [6, 6, 1],
      filters: 3,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      name: "conv2d_1",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 21 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.2, seed: 22 }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool_1" }));
  m.add(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 2,
      padding: "valid",
      name: "conv2d_2",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 23 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 24 }),
    }),
  );
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(tf.layers.dense({ units: 3, activation: "softmax", name: "dense_1", kernelInitializer: tf.initializers.glorotUniform({ seed: 25 }), biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 26 }) }));
  return m;
}

/** `count` samples of uniform [0, 1) pixels with labels cycling through `classes`. */
export function randomDataset(count: number, sampleShape: number[], classes: number, seed: number): Dataset {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const r = lcg(seed);
  const inputs = new Float32Array(count * per);
  for (let i = 0; i < inputs.length; i++) inputs[i] = r();
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = (i * 7 + seed) % classes;
  return { inputs, labels, count, sampleShape, classes };
}

/** A conv chain the WASM backend can train: conv 3@3×3 'valid' ReLU → max-pool 2 → flatten 12 → dense 3. */
export function tinyConvValid(tf: Tf): LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, padding: "valid", activation: "relu", name: "conv2d_1", kernelInitializer: tf.initializers.glorotUniform({ seed: 31 }) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool_1" }));
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(tf.layers.dense({ units: 3, activation: "softmax", name: "dense_1", kernelInitializer: tf.initializers.glorotUniform({ seed: 32 }) }));
  return m;
}

/**
 * Strided convolutions and an overlapping pool: conv 3@3×3 stride 2 'same' ReLU → max-pool 2×2
 * stride 1 → conv 2@2×2 stride 2 'valid' → flatten → dense 3, on [7,7,1].
 */
export function tinyStrided(tf: Tf): LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [7, 7, 1],
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      name: "conv2d_1",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 41 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.2, seed: 42 }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, name: "pool_1" }));
  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 2, strides: 2, padding: "valid", name: "conv2d_2", kernelInitializer: tf.initializers.glorotUniform({ seed: 43 }) }));
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(tf.layers.dense({ units: 3, activation: "softmax", name: "dense_1", kernelInitializer: tf.initializers.glorotUniform({ seed: 44 }) }));
  return m;
}
