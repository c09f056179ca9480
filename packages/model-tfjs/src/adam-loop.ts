/** The seeded Adam loop shared by training and fine-tuning, with its shift augmentation (split from `train.ts`). */

import type { Tensor, Variable } from "@tensorflow/tfjs";
import { InvalidOptionsError, Rng, shapeSize, type Dataset } from "@quantforge/core";
import { forwardLogits } from "./forward.js";
import type { NetSpec } from "./net.js";
import type { Tf } from "./tf.js";

/** Adam's β₁ (tfjs and Keras default; recorded in `training.json`). */
export const BETA1 = 0.9;
/** Adam's β₂. */
export const BETA2 = 0.999;
/** Adam's ε. */
export const EPSILON = 1e-7;

/**
 * Copies an `[h, w, c]` image translated by (dy, dx) pixels into `out`, zero-filling what moves
 * in from outside. Small random shifts are the classic MNIST augmentation: with only 8,000
 * training digits the MLP otherwise memorises the training set and stalls near 95.5 %.
 */
export function shiftImage(src: Float32Array, out: Float32Array, shape: readonly number[], dy: number, dx: number): void {
  const [H, W, C] = shape as [number, number, number];
  out.fill(0);
  for (let y = 0; y < H; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= H) continue;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(W, W + dx);
    if (x1 <= x0) continue;
    out.set(src.subarray((sy * W + x0 - dx) * C, (sy * W + x1 - dx) * C), (y * W + x0) * C);
  }
}

/** Settings of {@link adamTrain}. */
export interface AdamLoop {
  readonly epochs: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly shift: number;
  /** Per parameter name, a 0/1 mask: masked gradients keep pruned weights exactly where they are. */
  readonly masks?: ReadonlyMap<string, Tensor>;
}

/** Checks the loop settings against the network and the training set; returns the shift in pixels (0 = no augmentation). */
export function validateLoop(spec: NetSpec, o: { epochs: number; batchSize: number; learningRate: number; shift?: number }, train: Dataset, what: string): number {
  for (const [k, v] of Object.entries({ epochs: o.epochs, batchSize: o.batchSize })) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidOptionsError(what, k, `must be a positive integer (got ${v})`);
  }
  if (!(o.learningRate > 0)) throw new InvalidOptionsError(what, "learningRate", `must be positive (got ${o.learningRate})`);
  const shift = o.shift ?? 0;
  if (!Number.isInteger(shift) || shift < 0) throw new InvalidOptionsError(what, "shift", `must be a non-negative integer (got ${shift})`);
  if (shift > 0 && spec.inputShape.length !== 3) throw new InvalidOptionsError(what, "shift", `needs image inputs [h, w, c], but the model takes [${spec.inputShape.join(", ")}]`);
  if (shapeSize(train.sampleShape) !== shapeSize(spec.inputShape)) throw new InvalidOptionsError(what, "data", `has samples of shape [${train.sampleShape.join(", ")}] but the model takes [${spec.inputShape.join(", ")}]`);
  return shift;
}

/**
 * The Adam loop shared by training and fine-tuning: minimises the mean softmax cross-entropy of
 * the logits over `train` in batches that follow a seeded permutation per epoch (core `Rng`,
 * never `Math.random`), with optional seeded random shifts. Returns the optimizer (its state holds
 * the moments); `afterEpoch` gets the epoch's mean loss and its training seconds.
 */
export async function adamTrain(
  tf: Tf,
  spec: NetSpec,
  vars: ReadonlyMap<string, Variable>,
  train: Dataset,
  o: AdamLoop,
  afterEpoch: (epoch: number, loss: number, seconds: number) => Promise<void>,
): Promise<ReturnType<Tf["train"]["adam"]>> {
  const per = shapeSize(spec.inputShape);
  const varList = [...vars.values()];
  const optimizer = tf.train.adam(o.learningRate, BETA1, BETA2, EPSILON);
  const rng = new Rng(o.seed).fork("batches");
  const shiftRng = new Rng(o.seed).fork("shift");
  const xb = new Float32Array(o.batchSize * per);
  const yb = new Int32Array(o.batchSize);
  const order = new Int32Array(train.count);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (let i = 0; i < order.length; i++) order[i] = i;
    rng.shuffle(order);
    const t0 = performance.now();
    let lossSum = 0;
    for (let s = 0; s < train.count; s += o.batchSize) {
      const b = Math.min(o.batchSize, train.count - s);
      for (let k = 0; k < b; k++) {
        const i = order[s + k]!;
        const src = train.inputs.subarray(i * per, (i + 1) * per);
        if (o.shift > 0) shiftImage(src, xb.subarray(k * per, (k + 1) * per), spec.inputShape, shiftRng.int(-o.shift, o.shift), shiftRng.int(-o.shift, o.shift));
        else xb.set(src, k * per);
        yb[k] = train.labels[i]!;
      }
      const f = () =>
        tf.tidy(() => {
          const x = tf.tensor(xb.subarray(0, b * per), [b, ...spec.inputShape]);
          const y = tf.oneHot(tf.tensor1d(yb.subarray(0, b), "int32"), spec.classes);
          return tf.losses.softmaxCrossEntropy<Tensor, Tensor>(y, forwardLogits(tf, spec, vars, x)) as never;
        });
      let loss: Tensor;
      if (!o.masks) {
        loss = optimizer.minimize(f, true, varList)!;
      } else {
        // Masked gradients: Adam's m and v stay 0 for pruned weights, so their update is exactly 0.
        const { value, grads } = tf.variableGrads(f, varList);
        const masked: Record<string, Tensor> = {};
        for (const [name, v] of vars) {
          const g = grads[v.name]!;
          const m = o.masks.get(name);
          masked[v.name] = m ? tf.mul(g, m) : g;
        }
        optimizer.applyGradients(masked as never);
        tf.dispose([...Object.values(grads), ...Object.values(masked)]);
        loss = value;
      }
      lossSum += (await loss.data())[0]! * b;
      loss.dispose();
    }
    await afterEpoch(epoch, lossSum / train.count, (performance.now() - t0) / 1000);
  }
  return optimizer;
}
