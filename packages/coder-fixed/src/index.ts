export { fixedCoder, encodeFixed, decodeFixed, fixedOptionsSchema, FIXED_MAGIC, FIXED_FORMAT_VERSION } from "./fixed-coder.js";
export type { FixedOptions, FixedOptionsInput } from "./fixed-coder.js";
export { codeWidth, bitsFor, packedBytes, packBits, unpackBits, paddingIsZero, maxValue } from "./fixed-impl.js";
export { encodeFixedGroup, decodeFixedGroup, FIXED_GROUP_VERSION } from "./group-impl.js";
