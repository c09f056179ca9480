export { emptyStats, accumulateStats, accumulateStatsRange, accumulateStatsCoded, startStats, endStats, mergeStats, meanSquaredError, sqnrDb, tensorSqnrDb, sqnrOfSumsDb } from "./tensor-error.js";
export type { ErrorStats, MaybeValue, StatsRun } from "./tensor-error.js";
export { normalizedSqnr, varianceAndMse } from "./normalized.js";
export type { NormalizedSqnr, NormalizedSqnrInput, NormalizedTensorSqnr, NamedData } from "./normalized.js";
export { relativeError, isDistributionRows, isDistribution, softmaxRows, storedSoftmaxRows, argmaxRows, matchCount, matchShare, top1Agreement, meanKlDivergence, meanKlRatio } from "./output.js";
