import type { FileHandle } from "node:fs/promises";
import type { Codebook, EncodedSize, QuantizedTensor, WeightTensor } from "@quantforge/core";
import type { WrittenFile } from "@quantforge/io-tfjs";

/** Where quantized and kept tensors go; called in input order. */
export interface Sink {
  /** True when {@link Sink.quantized} reads `decoded()` (a target of decoded floats); else the values need never exist. */
  readonly readsDecoded?: boolean;
  /** `decoded()`: the tensor's dequantized values, computed when first called (see `readsDecoded`). */
  quantized(name: string, t: QuantizedTensor, cb: Codebook, stream: Uint8Array | undefined, decoded: () => Float32Array): Promise<void>;
  kept(name: string, tensor: WeightTensor | undefined): Promise<void>;
  /** `floatFallback`: quantized tensors the target could not express, written as decoded floats (onnx-qdq). */
  close(): Promise<{ files: WrittenFile[]; container?: EncodedSize; notes: string[]; floatFallback?: readonly { readonly name: string; readonly reason: string }[] }>;
  abort(): Promise<void>;
}

/** Writes all of `b` (fh.write may write less than asked). */
export async function writeAll(fh: FileHandle, b: Uint8Array): Promise<void> {
  let done = 0;
  while (done < b.length) done += (await fh.write(b, done, b.length - done)).bytesWritten;
}
