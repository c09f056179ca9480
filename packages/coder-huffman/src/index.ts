export { huffmanCoder, huffmanOptionsSchema } from "./huffman-coder.js";
export type { HuffmanOptions, HuffmanOptionsInput } from "./huffman-coder.js";
export { huffmanCodeLengths, canonicalCodes, isCompleteCode, entropyBits, effectiveMaxLength, MAX_CODE_LENGTH } from "./huffman-impl.js";
export { encodeHuffmanStream, decodeHuffmanStream, renameHuffmanStream, HUFFMAN_MAGIC, HUFFMAN_VERSION, MAX_ELEMENTS } from "./stream-impl.js";
