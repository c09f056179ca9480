import { FormatError, printable, type WeightTensor } from "@quantforge/core";
import { fromFloat16Bits } from "@quantforge/core/format";
import { OnnxDataType } from "./schema.js";
import { isWeightInitializer, type OnnxInitializer, type OnnxModel } from "./types.js";

/** The raw little-endian bytes of an initializer stored in raw_data or externally (null for typed fields). */
export async function initializerRawBytes(init: OnnxInitializer): Promise<Uint8Array | null> {
  if (init.external) {
    const { path, offset, length, files } = init.external;
    // Read again through `files` (in Node: the regular-file policy): the file may have changed since parsing.
    return files.read(path, offset, length, `the external data of "${printable(init.name)}"`);
  }
  const raw = init.message.raw_data;
  return raw && raw.length > 0 ? raw : null;
}

/**
 * Decodes a FLOAT or FLOAT16 initializer to float32 (FLOAT16 is widened exactly).
 *
 * @throws {FormatError} When the initializer is not FLOAT or FLOAT16.
 */
export async function initializerValues(init: OnnxInitializer): Promise<Float32Array> {
  const raw = await initializerRawBytes(init);
  const out = new Float32Array(init.count);
  if (init.dataType === OnnxDataType.FLOAT) {
    if (raw) {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(i * 4, true);
    } else {
      const d = init.message.float_data ?? [];
      for (let i = 0; i < out.length; i++) out[i] = d[i]!;
    }
    return out;
  }
  if (init.dataType === OnnxDataType.FLOAT16) {
    if (raw) {
      const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = fromFloat16Bits(v.getUint16(i * 2, true));
    } else {
      const d = init.message.int32_data ?? [];
      for (let i = 0; i < out.length; i++) out[i] = fromFloat16Bits(d[i]! & 0xffff);
    }
    return out;
  }
  throw new FormatError(`initializer "${printable(init.name)}" has data type ${init.dataType}; only FLOAT (1) and FLOAT16 (10) initializers are weights.`);
}

/** One FLOAT/FLOAT16 initializer as a tagged float32 weight tensor. */
export async function readOnnxTensor(model: OnnxModel, init: OnnxInitializer): Promise<WeightTensor> {
  const data = await initializerValues(init);
  return { name: init.name, shape: [...init.dims], data, ...(model.tags.get(init.name) ?? {}) };
}

/** Yields the FLOAT/FLOAT16 initializers one at a time, in file order. */
export async function* streamOnnxWeights(model: OnnxModel): AsyncGenerator<WeightTensor, void, undefined> {
  for (const i of model.initializers) if (isWeightInitializer(i)) yield await readOnnxTensor(model, i);
}
