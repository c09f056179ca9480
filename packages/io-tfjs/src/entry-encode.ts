import { ShapeMismatchError, dequantizeTensor, shapeSize, type Codebook, type QuantizedTensor } from "@quantforge/core";
import type { TfjsWeightEntry, TfjsWeightSpec } from "./manifest.js";
import { nativeEncoding } from "./native.js";
import { decodeFloatEntry } from "./tfjs-decode.js";

// How one manifest entry is stored by the plain-shard targets (no Node APIs): shared by the
// streaming file writer (write.ts) and the in-memory writer of the browser build (memory.ts).

/** What to write for one manifest entry. */
export type TfjsWeightOutput =
  /** The entry as it was stored (for tfjs-float, float32 entries are decoded to plain float32). */
  | { readonly kind: "original" }
  /** Plain float32 values. */
  | { readonly kind: "float"; readonly data: Float32Array }
  /** A quantized tensor and its codebook. */
  | {
      readonly kind: "quantized";
      readonly tensor: QuantizedTensor;
      readonly codebook: Codebook;
      /** tfjs-coded: the coder's stream of `tensor`, when the caller already coded it. */
      readonly stream?: Uint8Array;
    };

/** One entry as the shards store it. */
export interface EncodedEntry {
  readonly spec: TfjsWeightSpec;
  readonly bytes: Uint8Array;
  /** tfjs's storage dtype when a quantized tensor was written natively. */
  readonly native?: "uint8" | "uint16" | "float16";
}

/** float32 values as little-endian bytes. */
export function floatBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) v.setFloat32(i * 4, data[i]!, true);
  return out;
}

/**
 * Checks that a quantized tensor can replace a manifest entry (a float32 weight of its shape).
 *
 * @throws {ShapeMismatchError} When it cannot.
 */
export function checkQuantizedFits(spec: TfjsWeightSpec, t: QuantizedTensor): void {
  if (spec.dtype !== "float32") throw new ShapeMismatchError(`weight "${spec.name}" is ${spec.dtype}; only float32 weights can be quantized.`);
  if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
    throw new ShapeMismatchError(`quantized tensor "${t.name}" has shape [${t.shape.join(", ")}] but weight "${spec.name}" is [${spec.shape.join(", ")}].`);
  }
}

/**
 * The spec and stored bytes of `entry` under target `tfjs-native` (quantized tensors in tfjs's
 * own uint8/uint16/float16 quantization, see `nativeEncoding`) or `tfjs-float` (plain float32:
 * quantized tensors dequantized, tfjs-quantized originals decoded).
 *
 * @param stored - The entry's stored bytes (read only for `original`).
 * @throws {ShapeMismatchError} When a quantized or float output does not fit the entry.
 * @throws {TargetMismatchError} When a quantized tensor does not fit `tfjs-native`.
 */
export async function encodeEntry(entry: TfjsWeightEntry, output: TfjsWeightOutput, target: "tfjs-native" | "tfjs-float", stored: () => Uint8Array | Promise<Uint8Array>): Promise<EncodedEntry> {
  const spec = entry.spec;
  const base = { name: spec.name, shape: [...spec.shape] };
  if (output.kind === "quantized") {
    const t = output.tensor;
    checkQuantizedFits(spec, t);
    if (target === "tfjs-native") {
      const ne = nativeEncoding(t, output.codebook);
      return { spec: { ...base, dtype: "float32", quantization: ne.quantization }, bytes: ne.bytes, native: ne.quantization.dtype };
    }
    return { spec: { ...base, dtype: "float32" }, bytes: floatBytes(dequantizeTensor(t, output.codebook)) };
  }
  if (output.kind === "float") {
    if (spec.dtype !== "float32") throw new ShapeMismatchError(`weight "${spec.name}" is ${spec.dtype}; it cannot be replaced by float32 values.`);
    if (output.data.length !== shapeSize(spec.shape)) throw new ShapeMismatchError(`weight "${spec.name}" needs ${shapeSize(spec.shape)} values but got ${output.data.length}.`);
    return { spec: { ...base, dtype: "float32" }, bytes: floatBytes(output.data) };
  }
  const bytes = await stored();
  if (target === "tfjs-float" && spec.dtype === "float32" && spec.quantization) return { spec: { ...base, dtype: "float32" }, bytes: floatBytes(decodeFloatEntry(spec, bytes)) };
  return { spec, bytes };
}
