import { z } from "@quantforge/core";

/** zod schema of the auto options (defaults applied by it). */
export const autoOptionsSchema = z.strictObject({
  /** Size budget in bits per quantized weight (codes + codebooks). @default 4 */
  bits: z.number().min(0.25).max(32).default(4),
  /** Size budget in bytes for all quantized tensors; overrides `bits` when given. */
  bytes: z.number().int().min(1).optional(),
  /**
   * Candidate methods (default: `defaultCandidates`, what the registered quantizers declare eligible); `options.bits` fixes the width, else the
   * candidate's own `bits` list is swept, else `candidateBits`.
   */
  candidates: z
    .array(
      z.strictObject({
        quantizer: z.string().min(1),
        options: z.record(z.string(), z.unknown()).optional(),
        bits: z.array(z.number().int().min(1).max(16)).min(1).optional(),
      }),
    )
    .min(1)
    .optional(),
  /**
   * Bit widths swept for every candidate without a fixed `bits` — overriding the default
   * candidates' own lists; for candidates you list, only where they give no `bits` list.
   * @default each default candidate's list (2–8, plus 10 and 12 for most rtn candidates); 2–8 for listed candidates without one
   */
  candidateBits: z.array(z.number().int().min(1).max(16)).min(1).optional(),
  /** Cap on candidates per tensor (each costs one quantization and one forward pass per tensor); the defaults give 65. @default 72 */
  maxCandidates: z.number().int().min(1).max(256).default(72),
  /**
   * Input samples each forward pass runs (calibration/test rows or random inputs). Few samples
   * make the measured errors noisy — a classifier's output error rests on its few least
   * confident inputs — and the allocation then follows the noise.
   * @default chosen by `budgetSeconds` from the model's size (256 when it fits)
   */
  samples: z.number().int().min(1).max(4096).optional(),
  /**
   * Time budget in seconds of the reference machine: the cost model (see the README) converts it
   * — from the model's size, never from this machine's speed — into calibration samples and the
   * number of candidates measured by a forward pass per tensor (the others are predicted from
   * their weight error). @default 25
   */
  budgetSeconds: z.number().positive().max(1e6).default(25),
  /**
   * Id of a registered coder whose real output measures each candidate's rate: the bytes of its
   * stream for the tensor plus the serialized codebooks (the runner passes `--coder` here). Without
   * it the rate is fixed-length codes (⌈log2 K⌉ bits each) plus the codebooks.
   */
  coder: z.string().min(1).optional(),
  /** Range of random inputs when the model has no data. @default [0, 1] */
  inputRange: z
    .tuple([z.number(), z.number()])
    .refine(([a, b]) => a < b, { error: "must be [lo, hi] with lo < hi" })
    .default([0, 1]),
});

/** Validated auto options. */
export type AutoOptions = z.output<typeof autoOptionsSchema>;
/** auto options as a user writes them. */
export type AutoOptionsInput = z.input<typeof autoOptionsSchema>;
