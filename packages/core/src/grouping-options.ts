import { z } from "zod";

/**
 * The shared `granularity` option of quantizers that put one grid per group: one grid per
 * `tensor`, per `channel` (along the `axis` option, core's `channelAxisSchema`) or per `group` of
 * `groupSize` row-major elements. Each quantizer adds its own `.default(…)`.
 */
export const granularitySchema = z.enum(["tensor", "channel", "group"]);

/** The shared `groupSize` option: elements per group (row-major runs), 1 … 2^31 − 1. Each quantizer adds its own `.default(…)`. */
export const groupSizeSchema = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);

/** One of {@link granularitySchema}'s values. */
export type Granularity = z.output<typeof granularitySchema>;

/**
 * The shared `scope` option of quantizers that can share statistics or a codebook across tensors:
 * `joint` (one over every quantized tensor) or `layer` (one per tensor). Each quantizer adds its
 * own `.default(…)`; old spellings go through `aliasedEnum(scopeSchema.options, …)`.
 */
export const scopeSchema = z.enum(["joint", "layer"]);

/** One of {@link scopeSchema}'s values. */
export type Scope = z.output<typeof scopeSchema>;
