import { join } from "node:path";
import { writeOnnxModel, type OnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import type { Sink } from "./sink.js";

/**
 * model.onnx with the initializers replaced (decoded floats, or uint8 + DequantizeLinear for
 * onnx-qdq; a tensor DequantizeLinear cannot express is written as decoded floats and listed,
 * unless `strict`).
 */
export function onnxSink(dir: string, m: OnnxModel, target: "onnx" | "onnx-qdq", options: { strict?: boolean } = {}): Sink {
  const outputs = new Map<string, OnnxWeightOutput>();
  return {
    async quantized(name, tensor, codebook) { outputs.set(name, { kind: "quantized", tensor: { ...tensor, name }, codebook }); },
    async kept() {},
    async close() {
      const path = join(dir, "model.onnx");
      const r = await writeOnnxModel(path, m, outputs, { target, ...(options.strict ? { strict: true } : {}) });
      const notes = r.roundedToHalf > 0 ? [`${r.roundedToHalf} decoded value(s) of FLOAT16 initializers were rounded to the nearest half (the model stores them as FLOAT16); model outputs below are measured on the written file.`] : [];
      if (r.qdq.length > 0) notes.push(`${r.qdq.length} initializer(s) written as uint8 + DequantizeLinear: ${r.qdq.slice(0, 5).join(", ")}${r.qdq.length > 5 ? ", …" : ""}.`);
      if (r.floatFallback.length > 0) {
        notes.push(`${r.floatFallback.length} quantized tensor(s) DequantizeLinear cannot express were written as their decoded float values (the model is complete; those tensors keep their float size): ${r.floatFallback.slice(0, 5).map((f) => f.reason).join(" ")}${r.floatFallback.length > 5 ? " …" : ""} Pass --strict-target to stop instead.`);
      }
      return { files: [{ name: "model.onnx", bytes: r.bytes.length }], notes, ...(r.floatFallback.length > 0 ? { floatFallback: r.floatFallback } : {}) };
    },
    async abort() {},
  };
}
