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

/** What a tensor job asks of a worker besides quantizing (shared by both kinds of job). */
export interface TensorWork {
  readonly id: number;
  /** The run's quantizer (a "finish" job names it too: the registry a worker builds at its first job depends on it). */
  readonly quantizer: PluginChoice;
  /** The run's coder: the worker also codes the tensor's stream. */
  readonly coder: PluginChoice | null;
  /**
   * What the stream codes: "compact", the nameless input a version-2 container hands its coder
   * (`run`); "named", the quantized tensor itself (`quantize`, whose sinks take its stream).
   */
  readonly streamInput: "compact" | "named";
  /**
   * Also dequantize the tensor and return its values (`run` when something may read them;
   * `quantize` does it itself: one tensor's values fewer in flight keeps its peak memory down).
   * Without it, `facts.errorStats` still dequantizes, block by block, keeping no values.
   */
  readonly dequantize: boolean;
  /** Evaluator inputs to compute too (`run`: those of its evaluators; core's `AheadFacts`). */
  readonly facts?: TensorFacts;
  /** Also check that every value of the tensor is finite (free with `facts.errorStats`; `QuantizedOne.finite`). */
  readonly checkFinite?: boolean;
  /** The original tensor (its values are shared when they live in a SharedArrayBuffer). */
  readonly tensor: WireTensor;
}

/** Main thread → worker. */
export type TensorJob =
  | (TensorWork & {
      readonly type: "quantize";
      readonly seed: number;
      /**
       * "quantize": only quantize and code (the reply has `model`, `stream` or `group`, the
       * histogram with `facts.histograms`, and `diagnostics`); the dequantizing and facts follow as a "finish" job, possibly on another
       * worker (see `poolWorkers`).
       * Default: all of it in this job.
       */
      readonly stage?: "quantize";
    })
  | (TensorWork & {
      /** The second half of a staged tensor: dequantize and count what the job asks of `model`'s one tensor. */
      readonly type: "finish";
      /** The "quantize" stage's model of `tensor`: one tensor, its codes (and positions) transferred; they come back in the reply's model. */
      readonly model: QuantizedModel;
      /** The "quantize" stage's histogram of those codes (with `facts.histograms`): not counted again. */
      readonly histogram?: Float64Array;
    });

/**
 * Main thread → worker: the SHA-256 of the weights file `path` (`input.sha256` of `run`'s report),
 * computed by `sha256Weights` from `tensors` (the file's tensors as read, shared) where they are
 * the file's bytes, else from disk. A worker job, so it runs beside the main thread's.
 */
export interface DigestJob {
  readonly type: "digest";
  readonly id: number;
  readonly path: string;
  readonly tensors: readonly WireTensor[];
}

/** Which of core's `AheadFacts` a worker computes for each tensor (sqnr reads error stats, size the code histogram). */
export interface TensorFacts {
  readonly errorStats: boolean;
  readonly histograms: boolean;
}

/** What a worker returns for one tensor. */
export interface QuantizedOne {
  /** `quantizer.quantize([tensor], ctx)`. */
  readonly model: QuantizedModel;
  /** The tensor's stream (see `streamInput`), when the coder has no group coding. */
  readonly stream?: Uint8Array;
  /** With group coding and compact input: the version-3 group of this tensor alone (core's `WorkerQuantization.groups`). */
  readonly group?: { readonly bytes: Uint8Array; readonly tensorBytes: readonly number[] };
  /** The CRC-32 of a compact `stream` or of `group.bytes` (core's `WorkerQuantization.crc32s`). */
  readonly crc32?: number;
  /** core's `largestCode` of the tensor's codes. */
  readonly maxCode?: number;
  /** `accumulateStats(emptyStats(), tensor.data, decoded)` (with `facts.errorStats`). */
  readonly errorStats?: { readonly count: number; readonly signal: number; readonly noise: number; readonly maxAbs: number };
  /** `codeHistogram([codes], 2^20)` when defined (with `facts.histograms`). */
  readonly histogram?: Float64Array;
  /** `dequantizeTensor` of the tensor (the pipeline reuses it where the decoded tensor is provably the same). */
  readonly decoded?: Float32Array;
  /** With `checkFinite` or `facts.errorStats`: every value of the job's tensor is finite (not set by a "quantize"-stage reply). */
  readonly finite?: boolean;
  /** Diagnostics reported while quantizing, in order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Worker → main thread. */
export type TensorWorkerMessage =
  | { readonly type: "fatal"; readonly error: WireError }
  | { readonly type: "quantized"; readonly id: number; readonly result: QuantizedOne }
  | { readonly type: "digested"; readonly id: number; readonly sha256: string }
  | { readonly type: "failed"; readonly id: number; readonly error: WireError };
