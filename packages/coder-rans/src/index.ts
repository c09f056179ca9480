export { ransCoder, ransOptionsSchema } from "./rans-coder.js";
export type { RansOptions, RansOptionsInput } from "./rans-coder.js";
export { normalizeFrequencies, ransEncode, ransDecode, buildDecodeTable, RANS_L, MAX_SCALE_BITS, MAX_LANES } from "./rans-impl.js";
export type { DecodeTable } from "./rans-impl.js";
export { histogram, lanesFor } from "./section-impl.js";
export { encodeRansStream, decodeRansStream, RANS_MAGIC, RANS_VERSION, MAX_ELEMENTS } from "./stream-impl.js";
