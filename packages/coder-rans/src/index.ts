export { ransCoder, ransOptionsSchema } from "./rans-coder.js";
export type { RansOptions, RansOptionsInput } from "./rans-coder.js";
export { ransEncode } from "./encode-impl.js";
export { normalizeFrequencies, RANS_L, MAX_SCALE_BITS, MAX_LANES } from "./rans-impl.js";
export { ransDecode, buildDecodeTable } from "./decode-impl.js";
export type { DecodeTable } from "./decode-impl.js";
export { histogram, lanesFor } from "./section-impl.js";
export { encodeRansStream, decodeRansStream, RANS_MAGIC, RANS_VERSION, MAX_ELEMENTS } from "./stream-impl.js";
