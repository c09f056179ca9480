import { NothingToQuantizeError } from "./errors.js";
import type { WeightTensor } from "./tensor.js";

/** Chooses which tensors are quantized; the rest stay float32 (and count as 32 bits each). */
export type TensorSelector = (t: WeightTensor) => boolean;

/**
 * Default selection: when a tensor's role is known (model adapters set it) only `weight`
 * tensors are quantized and biases stay float32; a bare weights file has no roles, so every
 * tensor is quantized.
 */
export const defaultSelector: TensorSelector = (t) => (t.role === undefined ? true : t.role === "weight");

/** Builds a selector from include/exclude regular expressions over tensor names. */
export function patternSelector(opts: { include?: readonly RegExp[]; exclude?: readonly RegExp[]; base?: TensorSelector; all?: boolean }): TensorSelector {
  const base = opts.all ? () => true : (opts.base ?? defaultSelector);
  return (t) => {
    if (opts.exclude?.some((r) => r.test(t.name))) return false;
    if (opts.include && opts.include.length > 0) return opts.include.some((r) => r.test(t.name));
    return base(t);
  };
}

/** How a selection splits a weight set (see {@link assertSomethingToQuantize}). */
export interface SelectionTally {
  /** Float tensors in the input. */
  readonly total: number;
  /** Tensors the selector picks. */
  readonly selected: number;
  /** Tensors the default selection would pick (weight kernels, or every tensor of a bare file). */
  readonly kernels: number;
}

/** Counts what `select` picks from `ws` (and what the default selection would). */
export function tallySelection(ws: Iterable<WeightTensor>, select: TensorSelector): SelectionTally {
  let total = 0,
    selected = 0,
    kernels = 0;
  for (const t of ws) {
    total++;
    if (select(t)) selected++;
    if (defaultSelector(t)) kernels++;
  }
  return { total, selected, kernels };
}

/**
 * Stops a run that would quantize nothing, saying why: no float weight tensors at all, none
 * that is a weight kernel (only biases and other float parameters, which stay float32 by
 * default), or every candidate excluded by the include/exclude patterns. Such a run used to end
 * "0 of 0 tensors quantized" with exit 0, which reads like success.
 *
 * @throws {NothingToQuantizeError} `QF_NOTHING_TO_QUANTIZE` (exit 2) unless `allowEmpty`.
 */
export function assertSomethingToQuantize(t: SelectionTally, o: { readonly allowEmpty?: boolean } = {}): void {
  if (t.selected > 0 || o.allowEmpty) return;
  const tail = "or pass --allow-empty to run with nothing quantized.";
  if (t.total === 0)
    throw new NothingToQuantizeError(`nothing to quantize: no float weight tensors were found in the input. Check that the file holds the model's weights (weights stored in a form quantforge does not read yet count as none), ${tail}`);
  // An already-quantized model (ONNX ConvInteger/MatMulInteger/QLinear*/DequantizeLinear) lands
  // here: its kernels are integer initializers, and only their float scales and biases are read,
  // so quantizing "them" with --all-tensors is not what its user wants.
  if (t.kernels === 0)
    throw new NothingToQuantizeError(
      `nothing to quantize: none of the ${t.total} float tensors is a weight kernel (biases and other parameters stay float32 by default; kernels stored as integers, as in an already-quantized model, are not float tensors and are not read). Quantize the float model such a model was made from, or pass --all-tensors to quantize these ${t.total} tensors, ${tail}`,
    );
  throw new NothingToQuantizeError(`nothing to quantize: all ${t.total} float tensors (${t.kernels} weight kernels among them) are excluded by the include/exclude patterns. Loosen --include/--exclude, ${tail}`);
}
