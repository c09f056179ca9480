import { loadSafetensors, saveSafetensors } from "@quantforge/io-safetensors";
import type { WeightSet } from "@quantforge/core";
import { cleanStaleTemps } from "@quantforge/core/node";
import { guardOutput, type OutputOptions } from "./output.js";

/**
 * Reads a weights file, chosen by its name:
 * - `*.onnx`: every weight of an ONNX model (initializers, Constant nodes, subgraphs; external
 *   data files inside its folder) read by io-onnx, which is imported only then;
 * - `*.json`: a tfjs model.json or bare weights manifest (`*weights_manifest.json`): every float32
 *   weight, tfjs's own uint8/uint16/float16 storage dequantized, roles from names and shapes;
 * - anything else: safetensors (F32/F16/BF16 → float32), strictly validated by
 *   `@quantforge/io-safetensors` (`QF_IO` for a missing file, `QF_FORMAT` for a malformed one).
 * Model files read this way are weights only: `--model` runs the network as well. The tfjs and
 * ONNX readers are imported only for their files (a safetensors `run` starts without them).
 */
export async function readWeights(path: string, options: { shared?: boolean; fileBytes?: Uint8Array } = {}): Promise<WeightSet> {
  // Every tfjs weights file (model.json, `*weights_manifest.json`) ends in .json.
  if (/\.json$/i.test(path)) return (await import("@quantforge/io-tfjs")).loadTfjsWeights(path);
  if (/\.onnx$/i.test(path)) return (await import("@quantforge/io-onnx")).loadOnnxWeights(path);
  // Shared memory lets the --threads pool read safetensors tensors in place. The whole file is
  // read before any work starts, so its large tensors are read several pieces at a time.
  // `fileBytes`: the file as `run` read it ahead (threads/entry.ts); its F32 tensors are views of it.
  return loadSafetensors(path, { ...(options.shared ? { shared: true } : {}), ...(options.fileBytes ? { fileBytes: options.fileBytes } : {}), readsInFlight: 4 });
}

/**
 * Writes weights as safetensors F32; the writer renames a finished temp file onto `path`. The
 * target passes the runner's output policy first ({@link guardOutput}: not an input, not empty,
 * not a FIFO/device/symlink); the temp file is removed on SIGINT/SIGTERM.
 */
export async function writeWeights(path: string, weights: WeightSet, metadata: Record<string, string> = {}, options: OutputOptions = {}): Promise<void> {
  await guardOutput(path, options);
  cleanStaleTemps(path);
  await saveSafetensors(path, weights, { metadata });
}

/**
 * The safetensors metadata of decoded weights. `run --decoded-out` and `decode` write the same
 * map, so the two files are byte-identical when the weights are (CI compares them with cmp).
 */
export function decodedMetadata(coderId: string, quantizerId: string): Record<string, string> {
  return { generator: "quantforge decode", quantizer: quantizerId, coder: coderId };
}
