/**
 * How the reload check compares the written model's outputs with the evaluated weights' outputs
 * (both in the same runtime at the same optimization level): what may differ is the order of
 * float32 sums (a DequantizeLinear feeding a Conv is not prepacked like a constant filter, so the
 * kernel sums in another order), never the weights. The tolerance is the float32 accumulation
 * bound of io-onnx's `accumulationTolerance` over the model's largest reduction and its deepest
 * chain of reducing ops; anything beyond it is not rounding.
 */
import { outputFlag } from "@quantforge/evaluator-fidelity";
import type { ModelOutput } from "@quantforge/io-tfjs";

/** Where the tolerance comes from, for the report. */
export interface ReloadTolerance {
  /** Relative tolerance: max |Δ| over max |reference|, per output. */
  readonly value: number;
  /** Largest number of products one output element of an op sums. */
  readonly reduction: number;
  /** Reducing ops on the deepest path (tfjs: every reducing weight, an upper bound). */
  readonly depth: number;
}

/** Result of comparing two runs of the same model outputs. */
export interface OutputsDiff {
  readonly abs: number;
  /**
   * Largest over outputs of max |Δ| / max |reference|; for pinned [0, 1] maps, tolerance ×
   * max |Δ| / allowed (see {@link outputsDiff}), so that `rel ≤ tolerance` means "within the bound" for every output.
   */
  readonly rel: number;
  /** [0, 1] outputs pinned near 0 or 1 on these inputs, compared through the logistic's slope, by name. */
  readonly pinned: readonly string[];
}

/** Float32 resolution of a [0, 1] map computed from 1 (onnxruntime's logistic near 0 holds multiples of 2⁻²³): one step per side. */
const UNIT_RESOLUTION = 2 ** -22;

/**
 * max |got − ref| relative to max |ref|, per output; the largest over outputs.
 *
 * A [0, 1] map pinned near 0 or 1 on these inputs (evaluator-fidelity's `outputFlag`: saturated
 * or near zero, every value in [0, 1] — a detector's sigmoid map on random inputs) cannot be
 * measured that way: runtimes compute it to an absolute resolution (onnxruntime's map of the
 * PP-OCRv4 detector holds only 0 and multiples of 2⁻²³), so one step is a relative difference
 * of 100 % with no weight differing. The bound is carried through the logistic instead: the
 * pre-activation x = logit(y) may move by `tolerance`·|x| (the accumulation bound), which moves
 * y by at most σ'(x)·Δx ≤ min(y, 1 − y)·tolerance·|x|, plus the map's own resolution, 2⁻²² —
 * element by element. `rel` reports tolerance × the worst ratio of |Δ| to that allowance.
 * Other near-zero outputs divide by at least 1e-6 (float noise of O(1) activations).
 */
export function outputsDiff(got: readonly ModelOutput[], ref: readonly ModelOutput[], tolerance: number): OutputsDiff {
  let abs = 0,
    rel = 0;
  const pinned: string[] = [];
  ref.forEach((r, i) => {
    const g = got[i]!;
    const flag = outputFlag(r.data, null);
    let unit = true;
    for (const v of r.data)
      if (!(v >= 0 && v <= 1)) {
        unit = false;
        break;
      }
    const isPinned = unit && (flag?.kind === "saturated" || flag?.kind === "near-zero");
    if (isPinned) pinned.push(r.name);
    let d = 0,
      scale = 0,
      worst = 0;
    for (let k = 0; k < r.data.length; k++) {
      const v = r.data[k]!;
      const dk = Number.isNaN(g.data[k]!) ? Infinity : Math.abs(g.data[k]! - v);
      d = Math.max(d, dk);
      scale = Math.max(scale, Math.abs(v));
      if (isPinned && dk > 0) {
        const m = Math.min(v, 1 - v);
        const x = Math.abs(Math.log(Math.max(v, 2 ** -126) / Math.max(1 - v, 2 ** -126)));
        worst = Math.max(worst, dk / (m * tolerance * x + UNIT_RESOLUTION));
      }
    }
    abs = Math.max(abs, d);
    rel = Math.max(rel, isPinned ? tolerance * worst : d === 0 ? 0 : d / Math.max(scale, 1e-6));
  });
  return { abs, rel, pinned };
}

/** What {@link tfjsReduction} reads: each weight's shape and the tags io-tfjs derives from the topology. */
export interface TfjsReductionInput {
  readonly entries: readonly { readonly spec: { readonly name: string; readonly shape: readonly number[] } }[];
  readonly tags: ReadonlyMap<string, { readonly role: string; readonly layerKind?: string; readonly outputAxis?: number }>;
}

/**
 * The tfjs counterpart of io-onnx's `maxReductionSize`/`reductionPathDepth`, from the topology's
 * MatMul/Conv weights (io-tfjs tags: role `weight` with a dense or conv layer kind): one output
 * element sums every element of its output slice, so K = size / dim[outputAxis] (dense `[in, out]`
 * → in; conv `[kh, kw, cin, cout]` → kh·kw·cin; depthwise `[kh, kw, c, 1]` → kh·kw). The depth is
 * the number of such weights: tfjs topologies are not walked as graphs here, so every reducing
 * layer counts (an upper bound of the deepest path).
 */
export function tfjsReduction(m: TfjsReductionInput): { reduction: number; depth: number } {
  let reduction = 1,
    depth = 0;
  for (const e of m.entries) {
    const t = m.tags.get(e.spec.name);
    const shape = e.spec.shape;
    if (!t || t.role !== "weight" || (t.layerKind !== "dense" && t.layerKind !== "conv2d") || shape.length < 2) continue;
    const axis = t.outputAxis === undefined ? shape.length - 1 : (t.outputAxis + shape.length) % shape.length;
    const size = shape.reduce((a, b) => a * b, 1);
    const k = shape[axis]! > 0 ? size / shape[axis]! : 0;
    if (Number.isFinite(k) && k > reduction) reduction = k;
    depth++;
  }
  return { reduction, depth: Math.max(1, depth) };
}
