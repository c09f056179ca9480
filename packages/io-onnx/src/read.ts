import { dirname } from "node:path";
import { FormatError, type WeightSet, type WeightTensor } from "@quantforge/core";
import { openRegularFile, readRegularFile, resolveContained } from "@quantforge/core/node";
import { parseOnnxModelWith } from "./parse.js";
import { MAX_ONNX_FILE_BYTES, type OnnxExternalFiles, type OnnxModel } from "./types.js";
import { streamOnnxWeights } from "./values.js";

export * from "./types.js";
export { parseOnnxModelWith } from "./parse.js";
export { initializerRawBytes, initializerValues, readOnnxTensor, streamOnnxWeights } from "./values.js";

/** External data files in the model's folder, opened as regular files (no FIFOs, no escaping the folder). */
export const nodeExternalFiles: OnnxExternalFiles = {
  async stat(modelPath, location) {
    const file = await resolveContained(dirname(modelPath), location, "external data");
    const f = await openRegularFile(file, { what: "external data" });
    await f.handle.close();
    return { file, size: f.size };
  },
  async read(file, offset, length, what) {
    const f = await openRegularFile(file, { what: "external data" });
    try {
      if (offset + length > f.size) throw new FormatError(`${what} are truncated. Re-export the model.`);
      const out = new Uint8Array(length);
      let got = 0;
      while (got < out.length) {
        const r = await f.handle.read(out, got, out.length - got, offset + got);
        if (r.bytesRead === 0) throw new FormatError(`${what} are truncated. Re-export the model.`);
        got += r.bytesRead;
      }
      return out;
    } finally {
      await f.handle.close();
    }
  },
};

/**
 * Reads and validates an ONNX model (a regular file, read without blocking on FIFOs): ModelProto
 * and every graph are walked on the wire, every tensor quantforge reads is decoded and checked
 * (dims, data type, data size in `raw_data`, `float_data` or `int32_data`, external data
 * location inside the model's folder and size).
 *
 * @param path - The `.onnx` file.
 * @throws {IoError} When the file cannot be read or is not a regular file.
 * @throws {FormatError} On a broken protobuf encoding, a missing graph, or a tensor whose
 *   data do not match its dims and type.
 * @example
 * const m = await readOnnxModel("model.onnx");
 * for (const t of await loadOnnxWeights("model.onnx")) console.log(t.name, t.shape);
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  const bytes = await readRegularFile(path, { what: "ONNX model", maxBytes: MAX_ONNX_FILE_BYTES });
  return parseOnnxModel(bytes, path);
}

/**
 * Parses ONNX model bytes (see {@link readOnnxModel}); `path` names the file in messages and
 * locates external data (only inside its folder).
 */
export async function parseOnnxModel(bytes: Uint8Array, path: string): Promise<OnnxModel> {
  return parseOnnxModelWith(bytes, path, nodeExternalFiles);
}

/**
 * Loads every FLOAT/FLOAT16 initializer of an ONNX model as float32 weights, tagged with their
 * role (Gemm/MatMul/Conv weight operands are `weight`s, their bias operands `bias`es).
 */
export async function loadOnnxWeights(path: string): Promise<WeightSet> {
  const m = await readOnnxModel(path);
  const out: WeightTensor[] = [];
  for await (const t of streamOnnxWeights(m)) out.push(t);
  return out;
}
