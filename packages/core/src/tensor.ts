import { MAX_DIMS } from "./budget.js";
import { NonFiniteError, ShapeMismatchError } from "./errors.js";
import { printable } from "./printable.js";

/** What a tensor is for in its layer. */
export type TensorRole = "weight" | "bias" | "other";

/** The kind of layer a tensor belongs to, when known (model adapters set it). */
export type LayerKind = "dense" | "conv2d" | "other";

/** A dense float32 tensor of model parameters. `data.length` equals the product of `shape`. */
export interface WeightTensor {
  /** Unique name inside its weight set, e.g. `dense_1/kernel`. */
  readonly name: string;
  /** Dimensions, outermost first. A scalar has shape `[]`. */
  readonly shape: readonly number[];
  /** Row-major values. */
  readonly data: Float32Array;
  /** Weight, bias or other; model adapters set it, weight files usually cannot. */
  readonly role?: TensorRole;
  /** Name of the layer the tensor belongs to. */
  readonly layer?: string;
  /** Kind of that layer. */
  readonly layerKind?: LayerKind;
  /**
   * Axis of the layer's output channels in this tensor, when the model format tells it
   * (negative counts from the end): −1 for tfjs `[in, out]`/`[kh, kw, cin, cout]` kernels, 0 for
   * ONNX `Conv` weights `[cout, cin, kh, kw]`, −2 for a tfjs depthwise kernel `[kh, kw, c, 1]`.
   * Channel-granularity quantizers resolve `axis: "output"` through it ({@link resolveChannelAxis}).
   */
  readonly outputAxis?: number;
  /** Axis of the layer's input channels (fan-in rows), when known; see {@link WeightTensor.outputAxis}. */
  readonly inputAxis?: number;
}

/** An ordered list of weight tensors with unique names. */
export type WeightSet = readonly WeightTensor[];

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws {@link ShapeMismatchError} unless every dim is a non-negative integer and the data fit. */
export function assertTensorShape(t: WeightTensor): void {
  if (t.shape.length > MAX_DIMS) throw new ShapeMismatchError(`tensor "${printable(t.name)}" has ${t.shape.length} dimensions; quantforge handles at most ${MAX_DIMS}. Reshape the tensor.`);
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeMismatchError(`tensor "${t.name}" has an invalid dimension ${d} in shape [${t.shape.join(", ")}]. Dimensions must be non-negative integers.`);
  }
  const n = shapeSize(t.shape);
  if (n !== t.data.length) {
    throw new ShapeMismatchError(`tensor "${t.name}" has ${t.data.length} values but shape [${t.shape.join(", ")}] needs ${n}. Fix the shape or the data.`);
  }
}

/** Elements per block of {@link assertFinite}'s branch-free sums. */
const FINITE_BLOCK = 4096;

/** Throws {@link NonFiniteError} at the first NaN or ±Inf. */
export function assertFinite(t: WeightTensor): void {
  const d = t.data;
  const n = d.length;
  // v·0 is ±0 for finite v and NaN for NaN and ±Inf, so a block's four sums are all zero exactly
  // when the block is finite: no branch per element (about 3× faster than testing each value);
  // only a failing block is searched for its first bad element.
  for (let s = 0; s < n; s += FINITE_BLOCK) {
    const e = Math.min(n, s + FINITE_BLOCK);
    let a = 0,
      b = 0,
      c = 0,
      f = 0,
      i = s;
    for (; i + 3 < e; i += 4) {
      a += d[i]! * 0;
      b += d[i + 1]! * 0;
      c += d[i + 2]! * 0;
      f += d[i + 3]! * 0;
    }
    for (; i < e; i++) a += d[i]! * 0;
    if (a + b + c + f !== 0) {
      for (let k = s; k < e; k++) {
        const v = d[k]!;
        // v - v is NaN exactly for NaN and ±Inf.
        if (v - v !== 0) throw new NonFiniteError(t.name, k, v);
      }
    }
  }
}

/**
 * Validates every tensor's shape, that names are unique, and the finiteness of the tensors
 * `quantized` picks (every tensor by default). Tensors kept in float32 are not checked for
 * finiteness: a ±Inf Clip bound or a NaN/−Inf mask is a legitimate value there and passes
 * through exactly; only values that would be quantized must be finite.
 */
export function assertWeightSet(ws: WeightSet, quantized: (t: WeightTensor) => boolean = () => true): void {
  const seen = new Set<string>();
  for (const t of ws) {
    if (seen.has(t.name)) throw new ShapeMismatchError(`weight set has two tensors named "${t.name}". Tensor names must be unique.`);
    seen.add(t.name);
    assertTensorShape(t);
    if (quantized(t)) assertFinite(t);
  }
}
