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

/**
 * A tensor's codes: one unsigned integer per element (or survivor). A producer may use the
 * narrowest array that holds its codebook's codes (see `codeArray`): an 8-bit codebook's codes
 * in a `Uint8Array` take a quarter of the memory and of the memory traffic of every pass over
 * them (issue 18). Consumers index it (`codes[i]`); one that needs 32-bit words calls `uint32Codes`.
 */
export type CodeArray = Uint8Array | Uint16Array | Uint32Array;

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
  /**
   * One code per element (dense) or per survivor (sparse), each in `0 … codebookSize−1`, in any
   * {@link CodeArray} (the same codes in a wider or narrower array are the same tensor).
   */
  readonly codes: CodeArray;
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
