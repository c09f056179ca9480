export { readSafetensorsHeader, SAFETENSORS_MAX_HEADER_BYTES } from "./header.js";
export type { SafetensorsHeader, SafetensorsTensorInfo, ReadHeaderOptions } from "./header.js";
export { readTensor, readTensorChunks, streamSafetensors, loadSafetensors } from "./read.js";
export type { ReadTensorOptions, LoadSafetensorsOptions } from "./read.js";
export { saveSafetensors, createSafetensorsWriter, encodeSafetensorsHeader } from "./write.js";
export type { SafetensorsWriter, SafetensorsWriterEntry, WriteSafetensorsOptions, EncodedHeader } from "./write.js";
export { SAFETENSORS_DTYPE_BYTES } from "./dtype.js";
export type { SafetensorsDtype } from "./dtype.js";
export { float16BitsToFloat32, bfloat16BitsToFloat32, decodeFloat16, decodeBfloat16, decodeFloat64 } from "./float16-impl.js";
