import type { Capability } from "./capabilities.js";
import type { AffineCodebook, GridCodebook, LevelsCodebook, ScaledLevelsCodebook } from "./codebook.js";
import { throwIfAborted, type RunContext } from "./context.js";
import type { Grouping } from "./grouping.js";
import type { Quantizer } from "./plugin.js";
import type { CodeArray, QuantizedModel, QuantizedTensor, SparseLayout } from "./quantized.js";
import type { WeightSet, WeightTensor } from "./tensor.js";

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** A codebook before it is given an id. */
export type CodebookSpec = WithoutId<LevelsCodebook | AffineCodebook | GridCodebook | ScaledLevelsCodebook>;

/** What a per-tensor quantization function returns for one tensor. */
export interface TensorQuantization {
  readonly codebook: CodebookSpec;
  readonly codes: CodeArray;
  readonly grouping: Grouping;
  readonly sparse?: SparseLayout;
}

/**
 * Lifts a per-tensor function into a {@link Quantizer}: each tensor gets its own codebook, whose
 * id is the tensor's name. Simple methods stay simple; joint methods implement `Quantizer`.
 */
export function perTensorQuantizer(id: string, fn: (t: WeightTensor, ctx: RunContext) => TensorQuantization, opts: { needs?: readonly Capability[] } = {}): Quantizer {
  return {
    id,
    needs: opts.needs,
    perTensor: true,
    quantize(weights: WeightSet, ctx: RunContext): QuantizedModel {
      const codebooks: QuantizedModel["codebooks"][number][] = [];
      const tensors: QuantizedTensor[] = [];
      weights.forEach((t, i) => {
        throwIfAborted(ctx);
        const r = fn(t, ctx);
        codebooks.push({ ...r.codebook, id: t.name });
        tensors.push({
          name: t.name,
          shape: t.shape,
          role: t.role,
          layer: t.layer,
          layerKind: t.layerKind,
          codebook: t.name,
          grouping: r.grouping,
          codes: r.codes,
          sparse: r.sparse,
        });
        ctx.progress.update(id, i + 1, weights.length);
      });
      return { codebooks, tensors };
    },
  };
}
