import type { CompareCell } from "@quantforge/core";

/** What the page asks the compare worker to run. */
export interface RunRequest {
  readonly sample?: { readonly modelJson: string; readonly weights: string };
  readonly files?: File[];
  readonly methods: string[];
  readonly bits: number[];
  readonly coders: string[];
}

/** What the worker reports back. */
export type CellMessage =
  | { type: "loaded"; title: string; format: string; tensors: number; params: number }
  | { type: "cell"; index: number; total: number; cell: CompareCell; qf?: Uint8Array; codesSha256?: string | null }
  | { type: "done"; seconds: number }
  | { type: "error"; error: { code: string; message: string } };
