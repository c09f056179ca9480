/**
 * The output metrics the fidelity evaluator reports. The math lives once in `@quantforge/metrics`;
 * these names are kept for existing importers (`meanKl` is the ln-of-ratio KL form the
 * evaluator's `outputKl` has always used).
 */
export { relativeError, isDistribution, softmaxRows, meanKlRatio as meanKl, argmaxRows, top1Agreement, tensorSqnrDb } from "@quantforge/metrics";
export type { MaybeValue } from "@quantforge/metrics";
