import { ShapeMismatchError } from "./errors.js";
import { shapeSize } from "./tensor.js";

/**
 * How the elements of a tensor are split into groups that each get their own codebook
 * parameters: the whole tensor, one group per index along an axis (per channel), or runs of
 * `size` consecutive elements in row-major order (per group).
 */
export type Grouping = { readonly kind: "tensor" } | { readonly kind: "channel"; readonly axis: number } | { readonly kind: "group"; readonly size: number };

/** The whole-tensor grouping. */
export const TENSOR_GROUPING: Grouping = Object.freeze({ kind: "tensor" });

/** Number of groups a grouping makes of a tensor with `shape`. */
export function groupCount(shape: readonly number[], g: Grouping): number {
  if (g.kind === "tensor") return 1;
  if (g.kind === "channel") {
    if (!Number.isInteger(g.axis) || g.axis < 0 || g.axis >= shape.length) {
      throw new ShapeMismatchError(`channel axis ${g.axis} is out of range for shape [${shape.join(", ")}]. Choose an axis in 0…${shape.length - 1}.`);
    }
    return shape[g.axis]!;
  }
  if (!Number.isInteger(g.size) || g.size < 1) throw new ShapeMismatchError(`group size ${g.size} must be a positive integer.`);
  return Math.max(1, Math.ceil(shapeSize(shape) / g.size));
}

/**
 * The group index of every element (row-major), as one Int32Array. Cheap: one pass, no
 * per-element allocation. For `tensor` grouping every entry is 0.
 */
export function groupIndexMap(shape: readonly number[], g: Grouping): Int32Array {
  const n = shapeSize(shape);
  const out = new Int32Array(n);
  if (g.kind === "tensor") return out;
  groupCount(shape, g); // validates the axis or group size (a size of 0 would put everything in group 0)
  if (g.kind === "group") {
    for (let i = 0; i < n; i++) out[i] = (i / g.size) | 0;
    return out;
  }
  let inner = 1;
  for (let a = g.axis + 1; a < shape.length; a++) inner *= shape[a]!;
  const ch = shape[g.axis]!;
  const outer = ch * inner === 0 ? 0 : n / (ch * inner);
  let i = 0;
  for (let o = 0; o < outer; o++) for (let c = 0; c < ch; c++) for (let k = 0; k < inner; k++) out[i++] = c;
  return out;
}
