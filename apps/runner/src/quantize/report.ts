import { printable, type Diagnostic, type EncodedSize, type WeightTensor } from "@quantforge/core";
import { sqnrDb, type ErrorStats } from "@quantforge/metrics";
import type { WrittenFile } from "@quantforge/io-tfjs";
import type { OutputAgreement } from "@quantforge/evaluator-fidelity";
import type { QuantizeTarget } from "./source.js";
import { sizeChange } from "../size-change.js";

/** One tensor's row in the report. */
export interface QuantizeTensorRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  readonly role: string | null;
  readonly quantized: boolean;
  readonly sqnrDb: number | null;
  readonly sqnrNote?: string;
  readonly mse: number | null;
  readonly maxAbsError: number | null;
  /** Coded stream bytes (coded targets). */
  readonly streamBytes?: number;
}

/** Output-agreement metrics of one model output (the fidelity evaluator's `outputAgreement`). */
export type { OutputAgreement } from "@quantforge/evaluator-fidelity";

/** The whole report (report.json). */
export interface QuantizeReport {
  readonly command: "quantize";
  readonly input: { readonly file: string; readonly format: string; readonly sha256: string; readonly bytes: number };
  readonly output: { readonly dir: string; readonly target: QuantizeTarget; readonly files: readonly WrittenFile[]; readonly bytes: number };
  readonly size: { readonly before: number; readonly after: number; readonly ratio: number; readonly note?: string };
  readonly quantizer: { readonly id: string; readonly version: string; readonly options: unknown };
  readonly coder: { readonly id: string; readonly version: string } | null;
  readonly seed: number;
  readonly mode: "per-tensor streaming" | "joint (whole weight set in memory)";
  readonly overall: { readonly tensors: number; readonly quantized: number; readonly weights: number; readonly quantizedWeights: number; readonly sqnrDb: number | null; readonly mse: number | null };
  readonly tensors: readonly QuantizeTensorRow[];
  readonly container?: EncodedSize;
  readonly model: null | {
    readonly runtime: string;
    readonly inputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
    readonly inputSource: string;
    readonly outputs: readonly OutputAgreement[];
    readonly worstRelativeError: number | null;
    readonly reload: {
      readonly runtime: string;
      readonly maxAbsDiff: number;
      readonly maxRelDiff: number;
      readonly matches: boolean;
      /** onnx-qdq: the written file under ORT's default optimization level vs the checked (basic) run — ORT's fused kernels (MatMulNBits) compute differently. */
      readonly defaultOptimization?: { readonly maxAbsDiff: number; readonly maxRelDiff: number };
      /** The mismatch is the runtime's: the unquantized model run the same two ways differs as well. */
      readonly runtimeNondeterministic?: boolean;
      /** The relative tolerance `maxRelDiff` is held to: float32 accumulation over `reduction` products, `depth` reducing ops deep. */
      readonly tolerance?: { readonly value: number; readonly reduction: number; readonly depth: number };
      /** [0, 1] outputs pinned near 0 or 1 on the check's inputs, held to the bound carried through the logistic (plus their 2⁻²² resolution) rather than to their tiny values. */
      readonly pinnedOutputs?: readonly string[];
    };
  };
  /** Why the model-output check did not run (the quantized model was still written). */
  readonly outputCheckSkipped?: string;
  /** Size advice: the chosen target cannot store the requested bits, or stores decoded floats. */
  readonly sizeAdvice?: string;
  /** Output advice: the check measured a large output error with one grid per tensor (`outputAdvice`). */
  readonly outputAdvice?: string;
  /** onnx-qdq: quantized tensors DequantizeLinear cannot express, written as decoded floats, with the reason. */
  readonly floatFallback?: readonly { readonly name: string; readonly reason: string }[];
  readonly notes: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  readonly timing: { readonly seconds: number; readonly weightsPerSecond: number; readonly peakRssBytes: number };
}

/** The report row of one weight tensor (`s`: its error statistics). */
export function rowOf(t: WeightTensor, quantized: boolean, s: ErrorStats, streamBytes?: number): QuantizeTensorRow {
  const q = sqnrDb(s);
  return {
    name: t.name,
    shape: [...t.shape],
    count: t.data.length,
    role: t.role ?? null,
    quantized,
    sqnrDb: q.value,
    ...(q.reason ? { sqnrNote: q.reason } : {}),
    mse: s.count > 0 ? s.noise / s.count : null,
    maxAbsError: s.count > 0 ? s.maxAbs : null,
    ...(streamBytes !== undefined ? { streamBytes } : {}),
  };
}

const f = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 10 ** -d) ? v.toExponential(d) : v.toFixed(d));
const mb = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

/** The human-readable report (report.md). */
export function renderQuantizeMarkdown(r: QuantizeReport): string {
  const L: string[] = [];
  L.push(`# quantforge quantize: ${r.input.file}`, "");
  L.push(`- input: \`${r.input.file}\` (${r.input.format}), ${r.input.bytes} bytes (${mb(r.input.bytes)}), sha256 \`${r.input.sha256.slice(0, 16)}…\``);
  L.push(`- output: \`${r.output.dir}\`, target **${r.output.target}**, ${r.output.bytes} bytes (${mb(r.output.bytes)}): ${r.output.files.map((x) => `${x.name} (${x.bytes})`).join(", ")}`);
  L.push(`- size: ${r.size.before} → ${r.size.after} bytes, **${sizeChange(r.size.before, r.size.after)}** (real file bytes, model.json/headers included)`);
  L.push(`- quantizer: \`${r.quantizer.id}\` ${r.quantizer.version} ${JSON.stringify(r.quantizer.options)}; coder: ${r.coder ? `\`${r.coder.id}\` ${r.coder.version}` : "none (the target stores the values itself)"}; seed ${r.seed}`);
  L.push(`- mode: ${r.mode}; ${r.overall.quantized} of ${r.overall.tensors} weight tensors quantized (${r.overall.quantizedWeights} of ${r.overall.weights} weights); overall SQNR ${f(r.overall.sqnrDb)} dB`);
  L.push(`- time: ${f(r.timing.seconds)} s, ${f(r.timing.weightsPerSecond / 1e6)} M weights/s, peak RSS ${mb(r.timing.peakRssBytes)}`, "");
  if (r.model) {
    L.push("## Model outputs", "");
    L.push(`Runtime: ${r.model.runtime}. Inputs: ${r.model.inputs.map((i) => `${i.name} [${i.shape.join(", ")}]`).join(", ")} — ${r.model.inputSource}.`, "");
    L.push("| output | shape | relative error ‖ŷ−y‖/‖y‖ | max abs error | KL (nats) | top-1 agreement |", "|---|---|---:|---:|---:|---:|");
    for (const o of r.model.outputs)
      L.push(`| ${o.name} | [${o.shape.join(", ")}] | ${f(o.relativeError, 6)} | ${f(o.maxAbsError, 6)} | ${o.kl === undefined ? "–" : f(o.kl, 6)} | ${o.top1Agreement === undefined ? "–" : `${(100 * o.top1Agreement).toFixed(1)}%`} |`);
    L.push(
      "",
      `Reload check (${r.model.reload.runtime}): max |reloaded − evaluated| = ${f(r.model.reload.maxAbsDiff, 3)} (relative ${f(r.model.reload.maxRelDiff, 3)}${r.model.reload.tolerance ? `, tolerance ${f(r.model.reload.tolerance.value, 3)}: float32 sums of ${r.model.reload.tolerance.reduction} products, ${r.model.reload.tolerance.depth} reducing ops deep` : ""}${r.model.reload.pinnedOutputs ? `; [0, 1] outputs pinned near 0 or 1, held to the bound carried through the logistic plus their 2⁻²² resolution: ${r.model.reload.pinnedOutputs.map((n) => printable(n)).join(", ")}` : ""}) — ${r.model.reload.matches ? "matches" : r.model.reload.runtimeNondeterministic ? "differs, but the unquantized model differs the same way: the runtime is not deterministic at this optimization level" : "MISMATCH"}.`,
      "",
    );
    const dflt = r.model.reload.defaultOptimization;
    if (dflt)
      L.push(
        `At onnxruntime's default graph optimization level the written file gives max |Δ| = ${f(dflt.maxAbsDiff, 3)} (relative ${f(dflt.maxRelDiff, 3)}) against the checked run${dflt.maxRelDiff > 1e-5 ? ": ORT fuses DequantizeLinear → MatMul into its own kernels (MatMulNBits), which compute differently" : ""}.`,
        "",
      );
  }
  L.push("## Tensors", "", "| tensor | shape | role | quantized | SQNR (dB) | MSE | max abs error | stream bytes |", "|---|---|---|---|---:|---:|---:|---:|");
  for (const t of r.tensors)
    L.push(`| ${t.name} | [${t.shape.join(", ")}] | ${t.role ?? "–"} | ${t.quantized ? "yes" : "no"} | ${t.sqnrDb === null ? (t.sqnrNote ?? "–") : f(t.sqnrDb)} | ${f(t.mse, 3)} | ${f(t.maxAbsError, 3)} | ${t.streamBytes ?? "–"} |`);
  if (r.outputCheckSkipped) L.push("", `**Output check skipped:** ${r.outputCheckSkipped}.`);
  if (r.sizeAdvice) L.push("", `**Size advice:** ${r.sizeAdvice}`);
  if (r.outputAdvice) L.push("", `**Output advice:** ${r.outputAdvice}`);
  if (r.floatFallback) L.push("", `**Written as decoded floats** (${r.output.target} cannot express them):`, "", ...r.floatFallback.map((f) => `- ${printable(f.name)}: ${f.reason}`));
  if (r.notes.length > 0) L.push("", "## Notes", "", ...r.notes.map((n) => `- ${n}`));
  if (r.diagnostics.length > 0) L.push("", "## Diagnostics", "", ...r.diagnostics.map((d) => `- ${d.severity} [${d.source}/${d.ruleId}]${d.tensor ? ` ${d.tensor}:` : ""} ${d.message}`));
  return `${L.join("\n")}\n`;
}
