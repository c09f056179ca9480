import type { Diagnostic, LayerKind, QuantizedModel, TensorRole } from "@quantforge/core";
import type { WireError } from "../compare/protocol.js";
import type { PluginSource } from "../plugin-loader/index.js";
import type { PluginChoice } from "../run-job.js";

/** `workerData` of a tensor worker. */
export interface TensorWorkerInit {
  /** Third-party plugins the main thread loaded; each worker imports them on top of the built-ins. */
  readonly plugins: readonly PluginSource[];
  /** Source mode only: the `.ts` entry the bootstrap imports after registering tsx. */
  readonly entry?: string;
  /** Source mode only: the tsconfig tsx compiles with. */
  readonly tsconfig?: string;
}

/** A weight tensor sent to a worker: its data is shared (SharedArrayBuffer) or copied. */
export interface WireTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role?: TensorRole;
  readonly layer?: string;
  readonly layerKind?: LayerKind;
  readonly data: Float32Array;
}

/** Main thread → worker. */
export type TensorJob =
  | {
      readonly type: "quantize";
      readonly id: number;
      readonly quantizer: PluginChoice;
      /** The run's coder: the worker also codes the tensor's stream. */
      readonly coder: PluginChoice | null;
      /**
       * What the stream codes: "compact", the nameless input a version-2 container hands its coder
       * (`run`); "named", the quantized tensor itself (`quantize`, whose sinks take its stream).
       */
      readonly streamInput: "compact" | "named";
      /** Also dequantize the tensor (`run`; `quantize` does it itself: one tensor's values fewer in flight keeps its peak memory down). */
      readonly dequantize: boolean;
      readonly seed: number;
      readonly tensor: WireTensor;
    }
  | { readonly type: "sha256"; readonly id: number; readonly path: string };

/** What a worker returns for one tensor. */
export interface QuantizedOne {
  /** `quantizer.quantize([tensor], ctx)`. */
  readonly model: QuantizedModel;
  /** The tensor's stream (see `streamInput`), when the coder has no group coding. */
  readonly stream?: Uint8Array;
  /** `dequantizeTensor` of the tensor (the pipeline reuses it where the decoded tensor is provably the same). */
  readonly decoded?: Float32Array;
  /** Diagnostics reported while quantizing, in order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Worker → main thread. */
export type TensorWorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "fatal"; readonly error: WireError }
  | { readonly type: "quantized"; readonly id: number; readonly result: QuantizedOne }
  | { readonly type: "hashed"; readonly id: number; readonly hex: string }
  | { readonly type: "failed"; readonly id: number; readonly error: WireError };
