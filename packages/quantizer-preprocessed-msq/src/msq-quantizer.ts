import { TENSOR_GROUPING, defineQuantizer, perTensorQuantizer, z, type QuantizerPlugin } from "@quantforge/core";
import { alphabetCodebook, MAX_ALPHABET_BITS, MIN_ALPHABET_BITS } from "./alphabet.js";
import { msqTensor } from "./layerwise.js";
import { VERSION } from "./version.js";

/** Options of {@link msqQuantizer}. */
export const msqOptions = z.strictObject({
  /** Bits per weight, 1–8. */
  bits: z.number().int().min(MIN_ALPHABET_BITS).max(MAX_ALPHABET_BITS).default(4),
  /** Alphabet shape (the same definition preprocessed MSQ and GPFQ use). */
  alphabet: z.enum(["midtread", "midrise"]).default("midtread"),
});

/** Parsed options of {@link msqQuantizer}. */
export type MsqOptions = z.output<typeof msqOptions>;
/** Options as a user writes them. */
export type MsqOptionsInput = z.input<typeof msqOptions>;

/**
 * Plain memoryless scalar quantization: every weight rounded to the nearest level of its
 * tensor's uniform alphabet (c = max|w|, see `uniformAlphabet`), independently and without data.
 * It is the baseline of seed 004 and uses exactly the alphabet of `preprocessed-msq` and `gpfq`,
 * so the three are compared on equal terms.
 *
 * @param defaults - option defaults merged under the options given at run time
 */
export function msqQuantizer(defaults?: Partial<MsqOptionsInput>): QuantizerPlugin<MsqOptions> {
  return defineQuantizer({
    id: "msq",
    version: VERSION,
    description: "Plain memoryless scalar quantization to the uniform alphabet shared with preprocessed-msq and gpfq (c = max|w| per tensor)",
    options: msqOptions,
    defaults,
    create: (opts) =>
      perTensorQuantizer("msq", (t) => {
        const { alphabet, codes } = msqTensor(t.data, opts.bits, opts.alphabet);
        return { codebook: alphabetCodebook(alphabet), codes, grouping: TENSOR_GROUPING };
      }),
  });
}
