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
