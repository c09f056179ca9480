import type { ModelFormat, WeightCount } from "./models.js";

/** One CLI command as the results record it. */
export interface CommandResult {
  command: string;
  exitCode: number | null;
  errorCode: string | null;
  message: string | null;
  wallSeconds: number;
  peakRssBytes: number | null;
}

/** One compare cell: method, bits, status and the worst model-output relative error. */
export interface CellResult {
  label: string;
  bits: number | null;
  status: string;
  errorCode: string | null;
  bitsPerWeight: number | null;
  bytes: number | null;
  worstRelError: number | null;
}

/** The independent reload of one written model in a stock runtime. */
export interface ReloadResult {
  /** agrees/differs: outputs (or weights) compared; reference: this target's weights are the reference; not-run: why in detail. */
  status: "agrees" | "differs" | "reference" | "not-run" | "error";
  how: string;
  maxRelDiff: number | null;
  detail: string | null;
}

/** One `quantize --target …` run and its independent reload. */
export interface TargetResult extends CommandResult {
  target: string;
  inputBytes: number | null;
  outputBytes: number | null;
  ratio: number | null;
  reportWorstRelError: number | null;
  quantizedWeights: number | null;
  reload: ReloadResult;
}

/** Everything the corpus measured on one model. */
export interface ModelResult {
  id: string;
  source: string | null;
  file: string;
  format: ModelFormat | "unknown";
  inputShape: string[];
  weights: (WeightCount & { quantizedWeights: number | null; quantizedPct: number | null }) | null;
  sensitivity: CommandResult | null;
  compare: (CommandResult & { cells: CellResult[] }) | null;
  quantize: TargetResult[];
  /** Worst relative output error of the evaluated (decoded) weights vs the float model, both in the stock runtime. */
  independentWorstRelError: number | null;
  independentNote: string | null;
  wallSeconds: number;
  peakRssBytes: number | null;
  acceptance: { ok: boolean; failures: string[] };
}
