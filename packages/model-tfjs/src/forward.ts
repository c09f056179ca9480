import type { Tensor, Tensor2D, Tensor4D } from "@tensorflow/tfjs";
import { ShapeMismatchError, shapeSize, type WeightSet } from "@quantforge/core";
import { paramOps, paramShape, type NetSpec } from "./net.js";
import type { Tf } from "./tf.js";

/** Parameter tensors by name (kernel and bias of every dense/conv layer). */
export type ParamTensors = ReadonlyMap<string, Tensor>;

/** Hooks into {@link forwardLogits}, used for layer inputs and the Hessian. */
export interface ForwardHooks {
  /** Sees the tensor entering op `index` (a dense or conv op). */
  readonly onInput?: (index: number, x: Tensor) => void;
  /** A tensor added to the pre-activation of op `index` (zero-valued probes for Jacobians). */
  readonly perturb?: (index: number) => Tensor | undefined;
  /** Sees the tensor entering every op `index` (any kind). */
  readonly onOp?: (index: number, x: Tensor) => void;
  /** Stop before running op `index` (its input has been seen). */
  readonly stopAt?: number;
}

/**
 * Creates the parameter tensors of `spec` from a weight set (only the names the network uses;
 * other tensors are ignored). Throws {@link ShapeMismatchError} if one is missing or misshapen.
 * The caller disposes them.
 */
export function paramTensors(tf: Tf, spec: NetSpec, weights: WeightSet): Map<string, Tensor> {
  const byName = new Map(weights.map((t) => [t.name, t]));
  const out = new Map<string, Tensor>();
  try {
    for (const { op } of paramOps(spec)) {
      for (const which of ["kernel", "bias"] as const) {
        const name = which === "kernel" ? op.kernel : op.bias;
        if (name === undefined) continue;
        const t = byName.get(name);
        const shape = paramShape(op, which);
        if (!t) throw new ShapeMismatchError(`the weight set has no tensor "${name}" (layer ${op.layer}). Pass every parameter of the model.`);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.data.length !== shapeSize(shape)) {
          throw new ShapeMismatchError(`tensor "${name}" has shape [${t.shape.join(", ")}] but layer ${op.layer} needs [${shape.join(", ")}]. Pass the model's own tensors.`);
        }
        out.set(name, tf.tensor(t.data, shape, "float32"));
      }
    }
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/**
 * Runs the chain on a batch `x` `[B, ...inputShape]` and returns the logits `[B, classes]`
 * (before the final softmax). Pure tf ops: differentiable, and identical for any weight set.
 */
export function forwardLogits(tf: Tf, spec: NetSpec, params: ParamTensors, x: Tensor, hooks: ForwardHooks = {}): Tensor {
  const batch = x.shape[0];
  let h = x;
  for (let i = 0; i < spec.ops.length; i++) {
    const op = spec.ops[i]!;
    hooks.onOp?.(i, h);
    if (op.kind === "dense" || op.kind === "conv2d") {
      hooks.onInput?.(i, h);
      if (hooks.stopAt === i) return h;
      const w = params.get(op.kernel)!;
      let y = op.kind === "dense" ? tf.matMul(h, w) : tf.conv2d(h as Tensor4D, w as Tensor4D, [op.strides[0], op.strides[1]], op.padding);
      if (op.bias) y = tf.add(y, params.get(op.bias)!);
      const e = hooks.perturb?.(i);
      if (e) y = tf.add(y, e);
      h = op.activation === "relu" ? tf.relu(y) : y;
    } else if (op.kind === "maxPool") {
      h = tf.maxPool(h as Tensor4D, [op.poolSize[0], op.poolSize[1]], [op.strides[0], op.strides[1]], op.padding);
    } else if (op.kind === "reshape") {
      h = tf.reshape(h, [batch, ...op.shape]);
    } else if (op.activation === "relu") {
      h = tf.relu(h);
    }
  }
  return h;
}

/**
 * Class probabilities `[count, classes]` of `count` samples under `weights`, in batches of
 * `batchSize`; every intermediate tensor is disposed.
 */
export async function predictProbabilities(tf: Tf, spec: NetSpec, weights: WeightSet, inputs: Float32Array, count: number, batchSize = 500): Promise<Float32Array> {
  const per = shapeSize(spec.inputShape);
  if (!Number.isInteger(count) || count < 0 || inputs.length !== count * per) {
    throw new ShapeMismatchError(`predict got ${inputs.length} input values for ${count} samples of shape [${spec.inputShape.join(", ")}] (needs ${count * per}). Pass whole samples.`);
  }
  const out = new Float32Array(count * spec.classes);
  const params = paramTensors(tf, spec, weights);
  try {
    for (let s = 0; s < count; s += batchSize) {
      const b = Math.min(batchSize, count - s);
      const probs = tf.tidy(() => {
        const x = tf.tensor(inputs.subarray(s * per, (s + b) * per), [b, ...spec.inputShape], "float32");
        return tf.softmax(forwardLogits(tf, spec, params, x) as Tensor2D);
      });
      out.set(await probs.data(), s * spec.classes);
      probs.dispose();
    }
  } finally {
    for (const t of params.values()) t.dispose();
  }
  return out;
}
