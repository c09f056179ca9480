import fc from "fast-check";
import { FLT_MAX } from "../grid.js";
import { Rng } from "../rng.js";
import { shapeSize, type WeightSet, type WeightTensor } from "../tensor.js";

/** Largest finite float32, ≈ 3.4028235e38. */
export const FLOAT32_MAX = FLT_MAX;
/** Smallest positive subnormal float32, 2^−149 ≈ 1.4e−45. */
export const FLOAT32_MIN_SUBNORMAL = 1.401298464324817e-45;
/** Smallest positive normal float32, 2^−126 ≈ 1.18e−38. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** Constraints of {@link shapeArb}. */
export interface ShapeConstraints {
  /** Fewest dimensions (default 1). */
  readonly minDims?: number;
  /** Most dimensions (default 4). */
  readonly maxDims?: number;
  /** Smallest side (default 1; 0 allows empty tensors). */
  readonly minSide?: number;
  /** Largest side (default 8). */
  readonly maxSide?: number;
  /** Largest element count (default 256); larger draws shrink their largest side. */
  readonly maxSize?: number;
}

/**
 * Small tensor shapes: 1–4 dimensions of 1–8 elements, at most 256 elements in total. Shapes
 * over `maxSize` are brought under it by halving their largest side (instead of filtering, which
 * would reject most 4-D draws).
 */
export function shapeArb(c: ShapeConstraints = {}): fc.Arbitrary<number[]> {
  const minDims = c.minDims ?? 1,
    maxDims = c.maxDims ?? 4;
  const minSide = c.minSide ?? 1,
    maxSide = c.maxSide ?? 8,
    maxSize = c.maxSize ?? 256;
  return fc.array(fc.integer({ min: minSide, max: maxSide }), { minLength: minDims, maxLength: maxDims }).map((dims) => {
    const s = [...dims];
    while (shapeSize(s) > maxSize) {
      let k = 0;
      for (let i = 1; i < s.length; i++) if (s[i]! > s[k]!) k = i;
      s[k] = Math.max(minSide, s[k]! >> 1);
      if (s[k] === minSide && s.every((d) => d <= minSide)) break;
    }
    return s;
  });
}

/** Range of generated values (default: every finite float32). */
export interface ValueConstraints {
  readonly min?: number;
  readonly max?: number;
}

/** A finite float32 value (never NaN or ±Inf); subnormals, ±0 and ±max included. */
export function finiteFloat32Arb(c: ValueConstraints = {}): fc.Arbitrary<number> {
  return fc.float({ noNaN: true, noDefaultInfinity: true, min: c.min === undefined ? undefined : Math.fround(c.min), max: c.max === undefined ? undefined : Math.fround(c.max) });
}

/** A Float32Array of exactly `length` finite values. */
export function float32DataArb(length: number, c: ValueConstraints = {}): fc.Arbitrary<Float32Array> {
  return fc
    .float32Array({
      minLength: length,
      maxLength: length,
      noNaN: true,
      noDefaultInfinity: true,
      min: c.min === undefined ? undefined : Math.fround(c.min),
      max: c.max === undefined ? undefined : Math.fround(c.max),
    })
    .map((a) => new Float32Array(a));
}

/** Shape input of the tensor arbitraries: a fixed shape or an arbitrary of shapes. */
export type ShapeInput = readonly number[] | fc.Arbitrary<readonly number[]>;

function shapeOf(s: ShapeInput | undefined): fc.Arbitrary<readonly number[]> {
  if (s === undefined) return shapeArb();
  return Array.isArray(s) ? fc.constant(s as readonly number[]) : (s as fc.Arbitrary<readonly number[]>);
}

/** Options of the tensor arbitraries. */
export interface TensorConstraints extends ValueConstraints {
  /** A fixed shape or an arbitrary of shapes (default {@link shapeArb}). */
  readonly shape?: ShapeInput;
  /** Tensor name (default "t"). */
  readonly name?: string;
}

/** A finite float32 {@link WeightTensor} of a shape: any finite values, edge values included. */
export function weightTensorArb(c: TensorConstraints = {}): fc.Arbitrary<WeightTensor> {
  const name = c.name ?? "t";
  return shapeOf(c.shape).chain((shape) => float32DataArb(shapeSize(shape), c).map((data): WeightTensor => ({ name, shape: [...shape], data })));
}

/** Distribution of {@link sampleTensor}. */
export type SampleDistribution = "laplace" | "gaussian" | "uniform";

/**
 * A deterministic tensor of i.i.d. samples (core {@link Rng}): Laplacian (the weight model of
 * seeds 000–002), Gaussian or uniform on [−√3σ, √3σ], all with standard deviation `sigma` and
 * mean `mean`. Same arguments ⇒ same values on every platform.
 */
export function sampleTensor(name: string, shape: readonly number[], o: { dist?: SampleDistribution; seed?: number; sigma?: number; mean?: number } = {}): WeightTensor {
  const rng = new Rng(o.seed ?? 1).fork(name);
  const n = shapeSize(shape);
  const sigma = o.sigma ?? 1,
    mean = o.mean ?? 0;
  const data = new Float32Array(n);
  const dist = o.dist ?? "laplace";
  for (let i = 0; i < n; i++) {
    const x = dist === "laplace" ? rng.laplace(sigma) : dist === "gaussian" ? rng.normal() * sigma : (2 * rng.float() - 1) * Math.sqrt(3) * sigma;
    data[i] = mean + x;
  }
  return { name, shape: [...shape], data };
}

/** Options of the distribution-shaped tensor arbitraries. */
export interface SampleConstraints {
  readonly shape?: ShapeInput;
  readonly name?: string;
  /** Range of the standard deviation (default [1e-3, 10]). */
  readonly sigma?: readonly [number, number];
  /** Range of the mean (default [0, 0]: zero-mean). */
  readonly mean?: readonly [number, number];
}

function sampledArb(dist: SampleDistribution, c: SampleConstraints): fc.Arbitrary<WeightTensor> {
  const [s0, s1] = c.sigma ?? [1e-3, 10];
  const [m0, m1] = c.mean ?? [0, 0];
  return fc
    .record({
      shape: shapeOf(c.shape),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      // Log-uniform σ: scales over decades matter more than linear spread.
      logSigma: fc.double({ min: Math.log(s0), max: Math.log(s1), noNaN: true }),
      mean: m0 === m1 ? fc.constant(m0) : fc.double({ min: m0, max: m1, noNaN: true }),
    })
    .map(({ shape, seed, logSigma, mean }) => sampleTensor(c.name ?? "t", shape, { dist, seed, sigma: Math.exp(logSigma), mean }));
}

/** Laplacian-like tensors (seeded i.i.d. Laplace samples, random σ and shape). */
export function laplacianTensorArb(c: SampleConstraints = {}): fc.Arbitrary<WeightTensor> {
  return sampledArb("laplace", c);
}

/** Gaussian-like tensors (seeded i.i.d. normal samples, random σ and shape). */
export function gaussianTensorArb(c: SampleConstraints = {}): fc.Arbitrary<WeightTensor> {
  return sampledArb("gaussian", c);
}

/** The edge cases every quantizer must survive. */
export const EDGE_KINDS = ["zeros", "constant", "large", "subnormal", "outlier", "single", "negative", "positive"] as const;
/** One edge case of {@link EDGE_KINDS}. */
export type EdgeKind = (typeof EDGE_KINDS)[number];

/**
 * A deterministic edge-case tensor:
 * - `zeros`: all exactly 0; `constant`: every element `value` (default 0.75);
 * - `large`: values near ±3e38 (and 0), where a naive (max − min) overflows float32;
 * - `subnormal`: only subnormal magnitudes (≤ 1.2e−38), where a naive scale underflows;
 * - `outlier`: Gaussian values with one element 1000σ out;
 * - `single`: one element (every dimension 1);
 * - `negative` / `positive`: strictly one-signed values (0 is not inside the range).
 * `shape` defaults to [4, 8] (`[1, 1]` for `single`).
 */
export function edgeTensor(kind: EdgeKind, o: { shape?: readonly number[]; name?: string; seed?: number; value?: number } = {}): WeightTensor {
  const name = o.name ?? `edge-${kind}`;
  const shape = kind === "single" ? (o.shape ? o.shape.map(() => 1) : [1, 1]) : [...(o.shape ?? [4, 8])];
  const n = shapeSize(shape);
  const rng = new Rng(o.seed ?? 7).fork(kind);
  const data = new Float32Array(n);
  switch (kind) {
    case "zeros":
      break;
    case "constant":
      data.fill(o.value ?? 0.75);
      break;
    case "large":
      for (let i = 0; i < n; i++) {
        const r = i % 4;
        data[i] = r === 0 ? 3e38 : r === 1 ? -3e38 : r === 2 ? (rng.float() * 2 - 1) * 3e38 : 0;
      }
      break;
    case "subnormal":
      for (let i = 0; i < n; i++) {
        // Uniform over the subnormal range, both signs; the float32 cast keeps them subnormal.
        data[i] = (i % 2 === 0 ? 1 : -1) * Math.max(FLOAT32_MIN_SUBNORMAL, rng.float() * FLOAT32_MIN_NORMAL * 0.99);
      }
      break;
    case "outlier":
      for (let i = 0; i < n; i++) data[i] = rng.normal();
      data[n > 2 ? Math.floor(n / 3) : 0] = 1000;
      break;
    case "single":
      data[0] = o.value ?? -0.3125;
      break;
    case "negative":
      for (let i = 0; i < n; i++) data[i] = -0.1 - Math.abs(rng.laplace(1));
      break;
    case "positive":
      for (let i = 0; i < n; i++) data[i] = 0.1 + Math.abs(rng.laplace(1));
      break;
  }
  return { name, shape, data };
}

/** Edge-case tensors: a kind from {@link EDGE_KINDS} (or `kinds`), a random seed, constant value and shape. */
export function edgeTensorArb(c: { kinds?: readonly EdgeKind[]; shape?: ShapeInput; name?: string } = {}): fc.Arbitrary<WeightTensor> {
  return fc
    .record({
      kind: fc.constantFrom(...(c.kinds ?? EDGE_KINDS)),
      shape: shapeOf(c.shape),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      value: finiteFloat32Arb({ min: -1e6, max: 1e6 }),
    })
    .map(({ kind, shape, seed, value }) => edgeTensor(kind, { shape, seed, value, name: c.name }));
}

/** Options of {@link weightSetArb}. */
export interface WeightSetConstraints {
  readonly minTensors?: number;
  readonly maxTensors?: number;
  /** Arbitrary of one tensor (its name is replaced by a unique one). Default: mixed Laplacian/Gaussian/any-finite/edge tensors. */
  readonly tensor?: fc.Arbitrary<WeightTensor>;
  /** Shapes used by the default tensor arbitrary. */
  readonly shape?: ShapeInput;
}

/** Weight sets of 1–4 tensors with unique names (`layer0/kernel`, `layer1/kernel`, …). */
export function weightSetArb(c: WeightSetConstraints = {}): fc.Arbitrary<WeightSet> {
  const one =
    c.tensor ??
    fc.oneof(
      { arbitrary: laplacianTensorArb({ shape: c.shape }), weight: 3 },
      { arbitrary: gaussianTensorArb({ shape: c.shape }), weight: 2 },
      { arbitrary: weightTensorArb({ shape: c.shape, min: -1e3, max: 1e3 }), weight: 1 },
      { arbitrary: edgeTensorArb({ shape: c.shape }), weight: 1 },
    );
  return fc.array(one, { minLength: c.minTensors ?? 1, maxLength: c.maxTensors ?? 4 }).map((ts) => ts.map((t, i): WeightTensor => ({ ...t, name: `layer${i}/kernel` })));
}

/** Bit widths in `[min, max]` (default 1…16). */
export function bitWidthArb(min = 1, max = 16): fc.Arbitrary<number> {
  return fc.integer({ min, max });
}
