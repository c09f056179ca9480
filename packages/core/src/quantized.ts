import type { Codebook } from "./codebook.js";
import type { Grouping } from "./grouping.js";
import type { LayerKind, TensorRole, WeightTensor } from "./tensor.js";

/**
 * Survivors of a pruned tensor: strictly increasing flat indices. Every other element is
 * exactly 0 and has no code.
 */
export interface SparseLayout {
  /** Flat row-major indices of the surviving elements, strictly increasing. */
  readonly positions: Uint32Array;
}

/** One quantized tensor: integer codes plus a reference to its codebook and its grouping. */
export interface QuantizedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role?: TensorRole;
  readonly layer?: string;
  readonly layerKind?: LayerKind;
  /** Id of the codebook (in {@link QuantizedModel.codebooks}) the codes refer to. */
  readonly codebook: string;
  /** Which per-group codebook parameters apply to which element. */
  readonly grouping: Grouping;
  /** One code per element (dense) or per survivor (sparse), each in `0 … codebookSize−1`. */
  readonly codes: Uint32Array;
  /** Present for pruned tensors. */
  readonly sparse?: SparseLayout;
}

/** What a quantizer returns for a whole weight set. */
export interface QuantizedModel {
  /** Every codebook, each stored once, referenced by id. */
  readonly codebooks: readonly Codebook[];
  /** The quantized tensors, in the order of the input weight set. */
  readonly tensors: readonly QuantizedTensor[];
  /** Tensors the quantizer chose to keep in float32 (counted as 32 bits per value). */
  readonly passthrough?: readonly WeightTensor[];
}
