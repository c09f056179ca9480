import type { CompareCell } from "@quantforge/core/host";
import type { InputSource } from "./inputs.js";

/** What the page asks the compare worker to run. */
export interface RunRequest {
  readonly source: InputSource;
  readonly methods: string[];
  readonly bits: number[];
  readonly coders: string[];
  /** Run a tfjs (graph or layers) or ONNX model and measure model-output fidelity per cell. */
  readonly modelAware: boolean;
}

/** One model output of a cell's decoded weights on the fidelity inputs. */
export interface CellOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What the worker reports back. */
export type CellMessage =
  | { type: "loaded"; title: string; format: string; tensors: number; params: number; fidelity: string | null }
  | { type: "notice"; error: { code: string; message: string } }
  | { type: "cell"; index: number; total: number; cell: CompareCell; qf?: Uint8Array; codesSha256?: string | null; outputs?: CellOutput[] }
  | { type: "done"; seconds: number }
  | { type: "error"; error: { code: string; message: string } };
