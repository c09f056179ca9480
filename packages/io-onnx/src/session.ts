import { FormatError } from "@quantforge/core";
import { fromFloat16Bits } from "@quantforge/core/format";
import type { OnnxFeed, OnnxOutput } from "./feeds.js";

/** The onnxruntime-node namespace (onnxruntime-web's has the same API: both are onnxruntime-common's). */
export type Ort = typeof import("onnxruntime-node");
type Session = import("onnxruntime-node").InferenceSession;
type OrtTensor = import("onnxruntime-node").Tensor;

/** Graph optimization level of an onnxruntime session. */
export type OnnxOptimization = "disabled" | "basic" | "extended" | "all";

/**
 * One CPU session on model bytes (onnxruntime-node's `cpu`, or onnxruntime-web's `wasm`), single-threaded (deterministic); ORT's load errors are
 * {@link FormatError}s naming `where`.
 */
export async function createOnnxSession(ort: Ort, bytes: Uint8Array, where: string, opts: { optimization?: OnnxOptimization; executionProvider?: "cpu" | "wasm" } = {}): Promise<Session> {
  try {
    return await ort.InferenceSession.create(bytes, {
      logSeverityLevel: 3,
      executionProviders: [opts.executionProvider ?? "cpu"],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      ...(opts.optimization ? { graphOptimizationLevel: opts.optimization } : {}),
    });
  } catch (e) {
    throw new FormatError(`${where}: onnxruntime cannot load the model (${(e as Error).message.split("\n")[0]}). Check the model with onnx.checker.`, e);
  }
}

/** An output tensor's values as float32 (float16 decoded, integers converted). */
function outputValues(t: OrtTensor): Float32Array {
  const d = t.data as ArrayLike<number | bigint>;
  if (t.type === "float16") return Float32Array.from(d as Uint16Array, (h) => fromFloat16Bits(h));
  return d instanceof Float32Array ? Float32Array.from(d) : Float32Array.from(Array.from(d, Number));
}

/**
 * Runs a session on `feeds` plus ready-made tensors `extra` (e.g. weights fed as inputs) and
 * returns every output as float32, in the session's output order; ORT's run errors are
 * {@link FormatError}s naming `where`.
 */
export async function runOnnxSession(ort: Ort, session: Session, feeds: readonly OnnxFeed[], where: string, extra: Readonly<Record<string, OrtTensor>> = {}): Promise<OnnxOutput[]> {
  const input: Record<string, OrtTensor> = { ...extra };
  for (const f of feeds) {
    const type = f.data instanceof Float32Array ? "float32" : f.data instanceof Int32Array ? "int32" : f.data instanceof Uint8Array ? "bool" : "int64";
    input[f.name] = new ort.Tensor(type, f.data, [...f.shape]);
  }
  let res: Record<string, OrtTensor>;
  try {
    res = await session.run(input);
  } catch (e) {
    throw new FormatError(`${where}: onnxruntime cannot run the model (${(e as Error).message.split("\n")[0]}).`, e);
  }
  return session.outputNames.map((name) => ({ name, shape: res[name]!.dims.map(Number), data: outputValues(res[name]!) }));
}
