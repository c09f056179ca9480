import type { Coder, Diagnostic, ModelProbe, ProgressReporter, Quantizer } from "@quantforge/core";
import type { StreamWorkers, TensorSelector } from "@quantforge/core/host";
import type { TfjsRuntime } from "@quantforge/io-tfjs";
import type { InputRanges } from "@quantforge/datasets";
import type { QuantizeTarget } from "./source.js";

/** Per-tensor work of `quantize --threads n > 1`: core's {@link StreamWorkers} (quantize and code one tensor on a worker). */
export interface TensorAhead extends StreamWorkers {
  /** Read safetensors tensors into shared memory (the workers read them in place). */
  readonly shared: boolean;
}

/** Everything {@link quantizeModel} needs (plugins already resolved and validated). */
export interface QuantizeModelOptions {
  readonly input: string;
  readonly out: string;
  /** Undefined: the smallest target the model allows (`defaultTarget` in advice.ts: onnx-qdq for ONNX models whose opset has DequantizeLinear). */
  readonly target?: QuantizeTarget;
  /**
   * onnx-qdq: stop with `QF_USAGE` when a quantized tensor cannot be written as DequantizeLinear
   * (default: that tensor is written as decoded floats, with a warning and a report note).
   */
  readonly strictTarget?: boolean;
  /** `recorded`: the options written to coded headers (default `options`; the CLI passes the non-default ones). */
  readonly quantizer: { readonly id: string; readonly version: string; readonly options: unknown; readonly recorded?: unknown; readonly instance: Quantizer };
  readonly coder?: { readonly id: string; readonly version: string; readonly instance: Coder };
  /** `deprecated-option` warnings for the quantizer's raw options; the report's diagnostics start with them. */
  readonly deprecations?: readonly Diagnostic[];
  readonly seed: number;
  readonly select: TensorSelector;
  /** Write the model even when the selection picks no tensor (else `QF_NOTHING_TO_QUANTIZE`). */
  readonly allowEmpty?: boolean;
  /** Evaluate model outputs (runnable formats only). */
  readonly evaluate: boolean;
  /** Random input samples for the output evaluation. */
  readonly samples: number;
  /** A safetensors file of model inputs instead of random ones. */
  readonly data?: string;
  /** Ranges of the generated inputs (`--input-range`); default: floats [0, 1), integers 0…9. */
  readonly inputRanges?: InputRanges;
  /** Shapes for inputs with unknown dimensions (batch excluded). */
  readonly inputShapes?: ReadonlyMap<string, readonly number[]>;
  readonly progress: ProgressReporter;
  /** `--threads n > 1`: per-tensor quantizers stream through worker threads (same results). */
  readonly ahead?: TensorAhead;
  /**
   * Loads the input as a runnable model probe, for quantizers that need model capabilities (the
   * `auto` quantizer needs `forward`); called only when the quantizer's `needs` is non-empty and
   * the input is a tfjs or ONNX model.
   */
  readonly model?: () => Promise<ModelProbe>;
  /** The tfjs namespace with a backend (the runner passes model-tfjs's WASM one). */
  readonly tf?: () => Promise<TfjsRuntime>;
  readonly signal?: AbortSignal;
}
