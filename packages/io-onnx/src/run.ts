import { QuantforgeError, ErrorCodes } from "@quantforge/core";
import type { OnnxFeed, OnnxOutput } from "./feeds.js";
import { createOnnxSession, runOnnxSession, type OnnxOptimization, type Ort } from "./session.js";

export { feedableType, onnxInputSpecs, type OnnxFeed, type OnnxOutput } from "./feeds.js";
export { createOnnxSession, runOnnxSession, type OnnxOptimization, type Ort } from "./session.js";

/** Imports onnxruntime-node; its absence is a `QF_USAGE` error saying how to install it. */
export async function loadOrt(): Promise<Ort> {
  try {
    return await import("onnxruntime-node");
  } catch (e) {
    throw new QuantforgeError(ErrorCodes.USAGE, `running ONNX models needs the optional package onnxruntime-node (1.30.0): install it with ONNXRUNTIME_NODE_INSTALL=skip (its CPU binaries ship in the package).`, { cause: e });
  }
}

/**
 * Runs ONNX model bytes with onnxruntime-node (CPU) on `feeds` and returns every output as
 * float32, in the session's output order. ORT's own errors (invalid graph, wrong shapes) are
 * {@link FormatError}s.
 *
 * @param opts.optimization - ORT graph optimization level (default ORT's `all`). `basic` keeps
 *   the graph's arithmetic: at `extended`/`all` ORT fuses DequantizeLinear → MatMul into
 *   `MatMulNBits`, whose outputs differ from the dequantized weights' (measured ≈ 5e-3 relative).
 */
export async function runOnnxModel(bytes: Uint8Array, feeds: readonly OnnxFeed[], where = "model", opts: { optimization?: OnnxOptimization } = {}): Promise<OnnxOutput[]> {
  const ort = await loadOrt();
  const session = await createOnnxSession(ort, bytes, where, opts);
  try {
    return await runOnnxSession(ort, session, feeds, where);
  } finally {
    await session.release();
  }
}
