import { FormatError, QuantforgeError, ErrorCodes } from "@quantforge/core";
import type { OnnxModel, OnnxValueInfo } from "./read.js";
import { OnnxDataType } from "./schema.js";

/** One input to feed: name, shape, values. */
export interface OnnxFeed {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

/** One output of a run, as float32. */
export interface OnnxOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The graph inputs a caller feeds (initializers excluded), with their element types and shapes. */
export function onnxInputSpecs(model: OnnxModel): readonly OnnxValueInfo[] {
  return model.inputs;
}

/** ONNX element types quantforge can feed with random inputs. */
export function feedableType(elemType: number): "float32" | "int32" | "int64" | null {
  if (elemType === OnnxDataType.FLOAT) return "float32";
  if (elemType === OnnxDataType.INT32) return "int32";
  if (elemType === OnnxDataType.INT64) return "int64";
  return null;
}

type Ort = typeof import("onnxruntime-node");

async function loadOrt(): Promise<Ort> {
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
export async function runOnnxModel(bytes: Uint8Array, feeds: readonly OnnxFeed[], where = "model", opts: { optimization?: "disabled" | "basic" | "extended" | "all" } = {}): Promise<OnnxOutput[]> {
  const ort = await loadOrt();
  let session: import("onnxruntime-node").InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1, ...(opts.optimization ? { graphOptimizationLevel: opts.optimization } : {}) });
  } catch (e) {
    throw new FormatError(`${where}: onnxruntime cannot load the model (${(e as Error).message.split("\n")[0]}). Check the model with onnx.checker.`, e);
  }
  try {
    const input: Record<string, import("onnxruntime-node").Tensor> = {};
    for (const f of feeds) {
      const type = f.data instanceof Float32Array ? "float32" : f.data instanceof Int32Array ? "int32" : "int64";
      input[f.name] = new ort.Tensor(type, f.data, [...f.shape]);
    }
    let res: Record<string, import("onnxruntime-node").Tensor>;
    try {
      res = await session.run(input);
    } catch (e) {
      throw new FormatError(`${where}: onnxruntime cannot run the model (${(e as Error).message.split("\n")[0]}).`, e);
    }
    return session.outputNames.map((name) => {
      const t = res[name]!;
      const d = t.data as ArrayLike<number | bigint>;
      const data = d instanceof Float32Array ? Float32Array.from(d) : Float32Array.from(Array.from(d, Number));
      return { name, shape: t.dims.map(Number), data };
    });
  } finally {
    await session.release();
  }
}
