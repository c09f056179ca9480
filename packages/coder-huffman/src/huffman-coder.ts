import { codebookSize, defineCoder, z, type Coder, type CoderPlugin } from "@quantforge/core";
import { MAX_CODE_LENGTH } from "./huffman-impl.js";
import { decodeHuffmanStream, decodeHuffmanStreamEncoded, encodeHuffmanStream, renameHuffmanStream } from "./stream-impl.js";
import { VERSION } from "./version.js";

/** Options of the Huffman coder. */
export const huffmanOptionsSchema = z
  .object({
    /**
     * Longest codeword in bits. The coder never goes below ⌈log2(used symbols)⌉ + 4 (so a
     * length limit cannot cost more than a few hundredths of a bit) nor above 24.
     * @default 20
     */
    maxCodeLength: z.number().int().min(1).max(MAX_CODE_LENGTH).default(20),
  })
  .strict();

/** Parsed options of {@link huffmanCoder}. */
export type HuffmanOptions = z.output<typeof huffmanOptionsSchema>;
/** Options accepted by {@link huffmanCoder} before defaults. */
export type HuffmanOptionsInput = z.input<typeof huffmanOptionsSchema>;

/**
 * The canonical Huffman coder (id `huffman`): codes of every tensor get a length-limited
 * canonical Huffman code whose table travels in the stream; sparse tensors' survivor positions
 * are coded as Huffman-coded gaps with an escape. Decoding is by table lookup. Streams carry
 * magic, version and CRC-32; corrupted, truncated or inconsistent streams are `DecodeError`s.
 *
 * @param defaults - option defaults merged under the options given at run time.
 * @returns the coder plugin descriptor (register it in the runner's plugin list).
 * @example
 * ```ts
 * const coder = instantiate(huffmanCoder());
 * const bytes = coder.encode(tensor, codebook);
 * ```
 */
export function huffmanCoder(defaults?: Partial<HuffmanOptionsInput>): CoderPlugin<HuffmanOptions> {
  return defineCoder({
    id: "huffman",
    version: VERSION,
    description: "Canonical length-limited Huffman coding of codes and sparse positions (table-lookup decoding).",
    options: huffmanOptionsSchema,
    defaults,
    create(options): Coder {
      return {
        id: "huffman",
        encode: (tensor, codebook, facts) => encodeHuffmanStream(tensor, codebookSize(codebook), options.maxCodeLength, facts?.histogram),
        decode: (bytes, limits) => decodeHuffmanStream(bytes, limits),
        decodeEncoded: (bytes, known, limits, facts) => decodeHuffmanStreamEncoded(bytes, known, limits, facts?.histogram),
        renameStream: (bytes, name, codebook) => renameHuffmanStream(bytes, name, codebook),
      };
    },
  });
}
