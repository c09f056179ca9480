import { FormatError, type LayerInfo } from "@quantforge/core";

/** Activations the adapter supports: piecewise linear ones (the Hessian stays exact) + softmax at the end. */
export type Activation = "relu" | "linear";

/** A dense layer `y = x·W + b` (W is `[in, out]`, tfjs/Keras layout). */
export interface DenseOp {
  readonly kind: "dense";
  readonly layer: string;
  readonly kernel: string;
  readonly bias?: string;
  readonly inUnits: number;
  readonly units: number;
  readonly activation: Activation;
}

/** A 2-D convolution, NHWC, kernel `[kh, kw, cin, cout]`, dilation 1. */
export interface ConvOp {
  readonly kind: "conv2d";
  readonly layer: string;
  readonly kernel: string;
  readonly bias?: string;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: "valid" | "same";
  readonly inChannels: number;
  readonly filters: number;
  readonly activation: Activation;
}

/** Max pooling, NHWC. */
export interface MaxPoolOp {
  readonly kind: "maxPool";
  readonly layer: string;
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: "valid" | "same";
}

/** Reshape to `[batch, ...shape]` (Flatten is a reshape to `[size]`). */
export interface ReshapeOp {
  readonly kind: "reshape";
  readonly layer: string;
  readonly shape: readonly number[];
}

/** An activation on its own layer. */
export interface ActivationOp {
  readonly kind: "activation";
  readonly layer: string;
  readonly activation: Activation;
}

/** One step of a network. */
export type NetOp = DenseOp | ConvOp | MaxPoolOp | ReshapeOp | ActivationOp;

/**
 * A feed-forward chain as the adapter runs it: the logits are the output of the last op; a
 * final softmax (Keras `activation: "softmax"` on the last layer or a Softmax/Activation layer)
 * is split off and applied by `predict`, so the Hessian can use the logits.
 */
export interface NetSpec {
  /** Per-sample input shape (e.g. `[28, 28, 1]`). */
  readonly inputShape: readonly number[];
  readonly ops: readonly NetOp[];
  /** Per-sample shape entering each op; `shapes[ops.length]` is the logits shape `[classes]`. */
  readonly shapes: readonly (readonly number[])[];
  readonly classes: number;
}

/** Output size of a windowed op along one axis (TensorFlow's rule). */
export function windowOut(size: number, k: number, s: number, padding: "valid" | "same"): number {
  return padding === "valid" ? Math.floor((size - k) / s) + 1 : Math.ceil(size / s);
}

/** Leading padding of a `same` window along one axis (TensorFlow puts the odd pixel at the end). */
export function padBefore(size: number, k: number, s: number, padding: "valid" | "same"): number {
  if (padding === "valid") return 0;
  const out = Math.ceil(size / s);
  return Math.floor(Math.max((out - 1) * s + k - size, 0) / 2);
}

/** Infers the per-sample shape after each op; throws {@link FormatError} on inconsistent shapes. */
export function inferShapes(inputShape: readonly number[], ops: readonly NetOp[]): (readonly number[])[] {
  const shapes: (readonly number[])[] = [inputShape];
  let s = inputShape;
  const size = (sh: readonly number[]) => sh.reduce((a, b) => a * b, 1);
  for (const op of ops) {
    switch (op.kind) {
      case "dense":
        if (s.length !== 1 || s[0] !== op.inUnits) throw new FormatError(`layer "${op.layer}" (Dense) expects ${op.inUnits} inputs but receives shape [${s.join(", ")}]. Add a Flatten layer or fix the model.`);
        s = [op.units];
        break;
      case "conv2d": {
        if (s.length !== 3 || s[2] !== op.inChannels) throw new FormatError(`layer "${op.layer}" (Conv2D) expects [h, w, ${op.inChannels}] inputs but receives [${s.join(", ")}]. Fix the model.`);
        const oh = windowOut(s[0]!, op.kernelSize[0], op.strides[0], op.padding);
        const ow = windowOut(s[1]!, op.kernelSize[1], op.strides[1], op.padding);
        if (oh < 1 || ow < 1) throw new FormatError(`layer "${op.layer}" (Conv2D) has a ${op.kernelSize.join("×")} kernel larger than its [${s.join(", ")}] input. Fix the model.`);
        s = [oh, ow, op.filters];
        break;
      }
      case "maxPool": {
        if (s.length !== 3) throw new FormatError(`layer "${op.layer}" (MaxPooling2D) needs [h, w, c] inputs but receives [${s.join(", ")}]. Fix the model.`);
        s = [windowOut(s[0]!, op.poolSize[0], op.strides[0], op.padding), windowOut(s[1]!, op.poolSize[1], op.strides[1], op.padding), s[2]!];
        break;
      }
      case "reshape":
        if (size(op.shape) !== size(s)) throw new FormatError(`layer "${op.layer}" reshapes [${s.join(", ")}] to [${op.shape.join(", ")}], which has a different size. Fix the model.`);
        s = op.shape;
        break;
      case "activation":
        break;
    }
    shapes.push(s);
  }
  return shapes;
}

/** Builds a {@link NetSpec}, checking shapes and that the output is a class vector. */
export function makeNetSpec(inputShape: readonly number[], ops: readonly NetOp[]): NetSpec {
  const shapes = inferShapes(inputShape, ops);
  const out = shapes[shapes.length - 1]!;
  if (out.length !== 1 || out[0]! < 2) throw new FormatError(`the model's output has shape [${out.join(", ")}], not a vector of class scores. Use a classifier that ends in a Dense layer.`);
  return { inputShape: [...inputShape], ops, shapes, classes: out[0]! };
}

/** The quantizable (dense/conv) ops of a spec, in forward order, with their op index. */
export function paramOps(spec: NetSpec): { op: DenseOp | ConvOp; index: number }[] {
  const r: { op: DenseOp | ConvOp; index: number }[] = [];
  spec.ops.forEach((op, index) => {
    if (op.kind === "dense" || op.kind === "conv2d") r.push({ op, index });
  });
  return r;
}

/** {@link LayerInfo} of every dense/conv layer, in forward order. */
export function layerInfos(spec: NetSpec): LayerInfo[] {
  return paramOps(spec).map(({ op }) =>
    op.kind === "dense"
      ? { name: op.layer, kind: "dense" as const, weight: op.kernel, ...(op.bias ? { bias: op.bias } : {}), fanIn: op.inUnits, fanOut: op.units }
      : { name: op.layer, kind: "conv2d" as const, weight: op.kernel, ...(op.bias ? { bias: op.bias } : {}), fanIn: op.kernelSize[0] * op.kernelSize[1] * op.inChannels, fanOut: op.filters },
  );
}

/** Shape of a parameter tensor. */
export function paramShape(op: DenseOp | ConvOp, which: "kernel" | "bias"): number[] {
  if (which === "bias") return [op.kind === "dense" ? op.units : op.filters];
  return op.kind === "dense" ? [op.inUnits, op.units] : [op.kernelSize[0], op.kernelSize[1], op.inChannels, op.filters];
}
