/**
 * `@quantforge/core/format`: the bytes of the `.qf` container and the pieces coders and io
 * adapters share to write and read them — byte and bit I/O, CRC-32, float16, codebook records and
 * the decode budget (limits on what untrusted bytes may make a reader allocate).
 */
export { ByteWriter, ByteReader, concatBytes } from "../bytes.js";
export { BitWriter, BitReader } from "../bits.js";
export { crc32 } from "../crc32.js";
export { crc32Combine, crc32Shift } from "../crc32-combine.js";
export { codeHistogram, usedSymbols } from "../code-histogram.js";
export { FLOAT16_MAX, toFloat16Bits, fromFloat16Bits, encodeFloat16, decodeFloat16Bits } from "../float16.js";
export { writeCodebook, readCodebook } from "../codebook-io.js";
export { MAX_DIMS, MAX_CODEBOOK_LEVELS, DECODED_BYTES_PER_ELEMENT, DEFAULT_MAX_DECODED_BYTES, FREE_ELEMENTS, EXPANSION, containerElementBudget, checkedShapeSize, assertFiniteValues } from "../budget.js";
export type { DecodeLimits, DecodeContainerOptions } from "../budget.js";
export { CONTAINER_MAGIC, CONTAINER_VERSION, COMPACT_CONTAINER_VERSION, GROUPED_CONTAINER_VERSION, encodeContainer, decodeContainer } from "../container.js";
export type { EncodedModel, DecodedContainer, EncodeContainerOptions } from "../container.js";
export { ContainerEncoder, assembleContainer } from "../container-stream.js";
export type { ContainerEncoderOptions } from "../container-stream.js";
