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
