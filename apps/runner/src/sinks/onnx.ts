import { join } from "node:path";
import { packMatMulNBits, writeOnnxModel, type OnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx";
import type { Sink } from "./sink.js";

/**
 * model.onnx with the initializers replaced (decoded floats, or uint8 + DequantizeLinear for
 * onnx-qdq; a tensor DequantizeLinear cannot express is written as decoded floats and listed,
 * unless `strict`; onnx-nbits: the MatMul weights in `nbits` as MatMulNBits, other quantized
 * tensors as decoded floats, listed).
 */
export function onnxSink(dir: string, m: OnnxModel, target: "onnx" | "onnx-qdq" | "onnx-nbits", options: { strict?: boolean; nbits?: ReadonlyMap<string, unknown> } = {}): Sink {
  const outputs = new Map<string, OnnxWeightOutput>();
  return {
    async quantized(name, tensor, codebook) {
      // onnx-nbits: a MatMul weight arrives as its quantized transposed view, which the MatMulNBits writer packs.
      const kind = target === "onnx-nbits" && options.nbits?.has(name) ? "nbits" : "quantized";
      if (kind === "nbits") packMatMulNBits({ ...tensor, name }, codebook); // refuses what MatMulNBits cannot hold now, not after every tensor
      outputs.set(name, { kind, tensor: { ...tensor, name }, codebook });
    },
    async kept() {},
    async close() {
      const path = join(dir, "model.onnx");
      const r = await writeOnnxModel(path, m, outputs, { target, ...(options.strict ? { strict: true } : {}) });
      const notes = r.roundedToHalf > 0 ? [`${r.roundedToHalf} decoded value(s) of FLOAT16 initializers were rounded to the nearest half (the model stores them as FLOAT16); model outputs below are measured on the written file.`] : [];
      if (r.qdq.length > 0) notes.push(`${r.qdq.length} initializer(s) written as uint8 + DequantizeLinear: ${r.qdq.slice(0, 5).join(", ")}${r.qdq.length > 5 ? ", …" : ""}.`);
      if (r.nbits.length > 0) {
        const kinds = [...new Set(r.nbits.map((x) => `${x.bits}-bit, blocks of ${x.blockSize}, ${x.zeroPoints === "none" ? "default zero point" : `${x.zeroPoints} zero points`}`))];
        notes.push(
          `${r.nbits.length} MatMul weight(s) written as com.microsoft MatMulNBits (${kinds.join("; ")}): ${r.nbits
            .slice(0, 5)
            .map((x) => x.name)
            .join(", ")}${r.nbits.length > 5 ? ", …" : ""}.`,
        );
      }
      if (r.floatFallback.length > 0) {
        notes.push(
          `${r.floatFallback.length} quantized tensor(s) ${target === "onnx-nbits" ? "MatMulNBits" : "DequantizeLinear"} cannot express were written as their decoded float values (the model is complete; those tensors keep their float size): ${r.floatFallback
            .slice(0, 5)
            .map((f) => f.reason)
            .join(" ")}${r.floatFallback.length > 5 ? " …" : ""} Pass --strict-target to stop instead.`,
        );
      }
      return { files: [{ name: "model.onnx", bytes: r.bytes.length }], notes, ...(r.floatFallback.length > 0 ? { floatFallback: r.floatFallback } : {}) };
    },
    async abort() {},
  };
}
