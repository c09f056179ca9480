import { visitDequantized, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { accumulateStatsRange, emptyStats, endStats, startStats, type ErrorStats } from "@quantforge/metrics";

/**
 * `accumulateStats(emptyStats(), original, dequantizeTensor(t, cb))` without holding the
 * dequantized values: core's `visitDequantized` hands them over block by block in one reused
 * array, and the range form of the sums keeps the order of the additions, so the result is the
 * same to the bit (issue 18: a tensor worker's error sums, and `quantize`'s when no target reads
 * the values). `original` has `t`'s element count.
 */
export function dequantizedErrorStats(original: Float32Array, t: QuantizedTensor, cb: Codebook): ErrorStats {
  const run = startStats(emptyStats());
  visitDequantized(t, cb, (start, values) => accumulateStatsRange(run, original.subarray(start, start + values.length), values, 0, values.length));
  return endStats(emptyStats(), run, original.length);
}
