import type { Tensor, Variable } from "@tensorflow/tfjs";
import { InvalidOptionsError, Rng, ShapeMismatchError, shapeSize, type Dataset, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { selectSamples } from "@quantforge/datasets";
import { forwardLogits } from "./forward.js";
import { exactHessianDiagonal } from "./hessian.js";
import { paramOps, paramShape, type NetSpec } from "./net.js";
import { getTf } from "./tf.js";

/** Options of {@link maskedFineTune}. */
export interface MaskedFineTuneOptions {
  /** Training data (default: the probe's calibration set, i.e. the training split). */
  readonly data?: Dataset;
  /** Epochs over the data. @default 3 */
  readonly epochs?: number;
  /** Adam learning rate (a tenth of the reference training rate: the net is already trained). @default 1e-4 */
  readonly learningRate?: number;
  /** @default 64 */
  readonly batchSize?: number;
  /** Seed of the batch order. @default 1 */
  readonly seed?: number;
  /** Called after every epoch with its mean training loss. */
  readonly onEpoch?: (epoch: number, loss: number, epochs: number) => void;
}

/**
 * Masked fine-tuning after pruning (Han et al.'s retraining, the protocol of Choi et al. Table 1):
 * trains every parameter of the network with Adam on the softmax cross-entropy, and after every
 * step multiplies each pruned tensor by its 0/1 mask, so pruned weights stay exactly 0 while the
 * survivors (and all biases) adapt. Batches follow a seeded permutation (core `Rng`).
 *
 * @param probe - the network (its `spec`) and, by default, its calibration (training) data.
 * @param weights - the starting weights (every parameter of the network), e.g. the pruned ones.
 * @param survivors - strictly increasing kept positions per pruned tensor; tensors not listed are dense.
 * @returns the fine-tuned weights, same names, shapes and tags as `weights`.
 * @throws {ShapeMismatchError} if a mask position lies outside its tensor.
 */
export async function maskedFineTune(probe: { readonly spec: NetSpec; readonly calibrationSet?: Dataset }, weights: WeightSet, survivors: ReadonlyMap<string, Uint32Array>, opts: MaskedFineTuneOptions = {}): Promise<WeightSet> {
  const tf = await getTf();
  const spec = probe.spec;
  const data = opts.data ?? probe.calibrationSet;
  if (!data) throw new InvalidOptionsError("masked-finetune", "data", "is missing and the model has no calibration set");
  const epochs = opts.epochs ?? 3,
    batchSize = opts.batchSize ?? 64,
    lr = opts.learningRate ?? 1e-4;
  if (!Number.isInteger(epochs) || epochs < 0) throw new InvalidOptionsError("masked-finetune", "epochs", `must be a non-negative integer (got ${epochs})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionsError("masked-finetune", "batchSize", `must be a positive integer (got ${batchSize})`);
  if (!(lr > 0)) throw new InvalidOptionsError("masked-finetune", "learningRate", `must be positive (got ${lr})`);
  const byName = new Map(weights.map((t) => [t.name, t]));
  const vars = new Map<string, Variable>();
  const masks = new Map<string, Tensor>();
  try {
    for (const { op } of paramOps(spec)) {
      for (const which of ["kernel", "bias"] as const) {
        const name = which === "kernel" ? op.kernel : op.bias;
        if (!name) continue;
        const t = byName.get(name);
        const shape = paramShape(op, which);
        if (!t || t.data.length !== shapeSize(shape)) throw new ShapeMismatchError(`fine-tuning needs tensor "${name}" with shape [${shape.join(", ")}]. Pass every parameter of the model.`);
        const pos = survivors.get(name);
        const data = Float32Array.from(t.data);
        if (pos) {
          const m = new Float32Array(data.length);
          for (const p of pos) {
            if (p >= m.length) throw new ShapeMismatchError(`mask position ${p} lies outside tensor "${name}" (${m.length} elements).`);
            m[p] = 1;
          }
          for (let i = 0; i < data.length; i++) if (m[i] === 0) data[i] = 0;
          masks.set(name, tf.tensor(m, shape, "bool"));
        }
        vars.set(name, tf.variable(tf.tensor(data, shape), true, `finetune/${name}`));
      }
    }
    const varList = [...vars.values()];
    const optimizer = tf.train.adam(lr, 0.9, 0.999, 1e-7);
    const per = shapeSize(spec.inputShape);
    const rng = new Rng(opts.seed ?? 1).fork("masked-finetune");
    const order = new Int32Array(data.count);
    const xb = new Float32Array(batchSize * per),
      yb = new Int32Array(batchSize);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
      let lossSum = 0;
      for (let s = 0; s < data.count; s += batchSize) {
        const b = Math.min(batchSize, data.count - s);
        for (let k = 0; k < b; k++) {
          const i = order[s + k]!;
          xb.set(data.inputs.subarray(i * per, (i + 1) * per), k * per);
          yb[k] = data.labels[i]!;
        }
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const x = tf.tensor(xb.subarray(0, b * per), [b, ...spec.inputShape]);
              const y = tf.oneHot(tf.tensor1d(yb.subarray(0, b), "int32"), spec.classes);
              return tf.losses.softmaxCrossEntropy<Tensor, Tensor>(y, forwardLogits(tf, spec, vars, x)) as never;
            }),
          true,
          varList,
        )!;
        // Hold pruned weights at exactly zero (Adam's momentum would otherwise revive them).
        // tf.where, not a multiply: 0 · (−w) would leave −0.
        tf.tidy(() => {
          for (const [n, m] of masks) vars.get(n)!.assign(tf.where(m, vars.get(n)!, tf.zerosLike(vars.get(n)!)));
        });
        lossSum += (await loss.data())[0]! * b;
        loss.dispose();
      }
      opts.onEpoch?.(epoch, lossSum / Math.max(1, data.count), epochs);
    }
    optimizer.dispose();
    const out: WeightTensor[] = [];
    for (const t of weights) {
      const v = vars.get(t.name);
      out.push(v ? { ...t, data: Float32Array.from((await v.data()) as Float32Array) } : t);
    }
    return out;
  } finally {
    for (const v of vars.values()) v.dispose();
    for (const m of masks.values()) m.dispose();
  }
}

/**
 * The same network with other weights (e.g. pruned and fine-tuned): a probe whose `weights`,
 * Hessian diagonal (exact, on the same seeded calibration subset as {@link createProbe}'s) and
 * default layer inputs refer to `weights`. Forward, data and Adam moments are the original's.
 *
 * @param probe - a probe made by `loadModel`/`createProbe` (it carries the net's `spec`).
 * @param weights - every parameter of the network.
 */
export function probeWithWeights<P extends ModelProbe & { readonly spec: NetSpec; readonly calibrationSet: Dataset }>(probe: P, weights: WeightSet): P {
  const calibration = probe.calibrationSet;
  const cache = new Map<string, Promise<WeightSet>>();
  return {
    ...probe,
    weights,
    hessian: {
      hessianDiagonal: ({ samples, seed }: { samples: number; seed?: number }) => {
        if (!Number.isInteger(samples) || samples < 1 || samples > calibration.count) {
          return Promise.reject(new InvalidOptionsError("hessianDiagonal", "samples", `must be an integer in [1, ${calibration.count}] (the calibration set's size), got ${samples}`));
        }
        const key = `${samples}:${seed ?? 0}`;
        let p = cache.get(key);
        if (!p) {
          const idx = new Int32Array(calibration.count);
          for (let i = 0; i < idx.length; i++) idx[i] = i;
          new Rng(seed ?? 0).fork("hessian-samples").shuffle(idx);
          const sub = selectSamples(calibration, idx.subarray(0, samples));
          p = (async () => exactHessianDiagonal(await getTf(), probe.spec, weights, sub.inputs, sub.count))();
          cache.set(key, p);
        }
        return p;
      },
    },
    ...(probe.layerInputs ? { layerInputs: { layerInputs: (layer: string, samples: number, ws?: WeightSet) => probe.layerInputs!.layerInputs(layer, samples, ws ?? weights) } } : {}),
  };
}
