import { codebookSize, defineCoder, z, type Coder, type CoderPlugin } from "@quantforge/core";
import { MAX_LANES, MAX_SCALE_BITS } from "./rans-impl.js";
import { decodeRansStream, encodeRansStream } from "./stream-impl.js";
import { encodeRansGroup } from "./group-impl.js";
import { decodeRansGroup } from "./group-decode-impl.js";
import { VERSION } from "./version.js";

/** Options of the rANS coder. */
export const ransOptionsSchema = z
  .object({
    /**
     * Highest precision (log2 of the frequency total) tried per stream; the coder picks the
     * precision at or below it whose stream, table included, is shortest.
     * @default 16
     */
    maxPrecision: z.number().int().min(1).max(MAX_SCALE_BITS).default(MAX_SCALE_BITS),
    /**
     * Most interleaved rANS states (1–4). Each costs 4 bytes per stream; streams of fewer than
     * 2^15 codes use fewer (1 below 2^11, 2 below 2^15), where the speed-up is not worth the bytes.
     * @default 4
     */
    lanes: z.number().int().min(1).max(MAX_LANES).default(MAX_LANES),
  })
  .strict();

/** Parsed options of {@link ransCoder}. */
export type RansOptions = z.output<typeof ransOptionsSchema>;
/** Options accepted by {@link ransCoder} before defaults. */
export type RansOptionsInput = z.input<typeof ransOptionsSchema>;

/**
 * The static rANS coder (id `rans`): each tensor's codes get a normalised frequency table at the
 * precision that makes the whole stream shortest, and are coded with up to 4 interleaved 32-bit
 * rANS states; one-symbol streams cost a few bytes; sparse tensors' survivor positions are coded
 * as rANS-coded gaps with an escape. Streams carry magic, version and CRC-32; corrupted,
 * truncated or inconsistent streams are `DecodeError`s.
 *
 * @param defaults - option defaults merged under the options given at run time.
 * @returns the coder plugin descriptor (register it in the runner's plugin list).
 * @example
 * ```ts
 * const coder = instantiate(ransCoder());
 * const bytes = coder.encode(tensor, codebook);
 * ```
 */
export function ransCoder(defaults?: Partial<RansOptionsInput>): CoderPlugin<RansOptions> {
  return defineCoder({
    id: "rans",
    version: VERSION,
    description: "Static rANS coding (per-stream precision, interleaved 32-bit states) of codes and sparse positions, within ~0.01 bit of the entropy.",
    options: ransOptionsSchema,
    defaults,
    create(options): Coder {
      const opts = { maxScaleBits: options.maxPrecision, maxLanes: options.lanes };
      return {
        id: "rans",
        encode: (tensor, codebook) => encodeRansStream(tensor, codebookSize(codebook), opts),
        decode: (bytes, limits) => decodeRansStream(bytes, limits),
        // Containers (version 3) code each codebook's tensors together: one shared table, own
        // tables only where they pay, one state flush and no per-tensor stream header.
        group: {
          encodeGroup: (tensors, codebook) => encodeRansGroup(tensors, codebookSize(codebook), opts),
          decodeGroup: (bytes, count, codebook, limits) => decodeRansGroup(bytes, count, codebookSize(codebook), limits),
        },
      };
    },
  });
}
