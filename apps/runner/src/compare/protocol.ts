import type { CompareCellOutcome, CompareCellSpec } from "@quantforge/core/host";
import type { PluginSource } from "../plugin-loader/index.js";
import type { InputConfig } from "./input.js";
import type { PluginEntry } from "./syntax.js";

/** An error sent between threads: its stable code, message and exit code. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly exitCode: 1 | 2;
}

/** `workerData` of a compare worker: what every cell shares. */
export interface WorkerInit {
  readonly input: InputConfig;
  readonly select: { readonly include: readonly string[]; readonly exclude: readonly string[]; readonly allTensors: boolean; readonly allowEmpty?: boolean };
  readonly evaluators: readonly PluginEntry[];
  readonly seed: number;
  /** Third-party plugins the main thread loaded; each worker imports them on top of the built-ins. */
  readonly plugins?: readonly PluginSource[];
  /** Source mode only: the `.ts` entry the bootstrap imports after registering tsx. */
  readonly entry?: string;
  /** Source mode only: the tsconfig tsx compiles with. */
  readonly tsconfig?: string;
}

/** Main thread → worker: run one cell. */
export interface RunMessage {
  readonly type: "run";
  readonly spec: CompareCellSpec;
}

/** Worker → main thread. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "fatal"; readonly error: WireError }
  | { readonly type: "progress"; readonly index: number; readonly task: string; readonly done: number; readonly total: number }
  | { readonly type: "done"; readonly index: number; readonly outcome: CompareCellOutcome }
  | { readonly type: "failed"; readonly index: number; readonly error: WireError };
