import { codeValueTable, visitDequantized, type Codebook, type QuantizedTensor } from "@quantforge/core";
import { accumulateStatsCoded, accumulateStatsRange, emptyStats, endStats, startStats, type ErrorStats } from "@quantforge/metrics";

/** Elements per call of the table pass. */
const BLOCK = 65536;

/**
 * `accumulateStats(emptyStats(), original, dequantizeTensor(t, cb))` without holding the
 * dequantized values, the same to the bit (the same additions in the same order). A tensor whose
 * values depend on its codes alone is summed in one pass over its codes through the table of
 * every code's value (core's `codeValueTable`); any other is dequantized block by block into one
 * reused array (core's `visitDequantized`) and each block summed (issue 18: a tensor worker's
 * error sums, and `quantize`'s when no target reads the values). `original` has `t`'s element count.
 */
export function dequantizedErrorStats(original: Float32Array, t: QuantizedTensor, cb: Codebook): ErrorStats {
  const n = original.length;
  const table = t.codes.length === n ? codeValueTable(t, cb) : undefined;
  // A code outside the table (an invalid tensor the pipeline then rejects) stops the pass: summed again below.
  if (table) {
    const run = startStats(emptyStats());
    // In blocks: called once over a whole tensor, the loop ran as on-stack-replaced code for its
    // first two tensors, 3× slower (the ranges keep the order of the additions).
    let at = 0;
    while (at < n) {
      const end = Math.min(n, at + BLOCK);
      if (accumulateStatsCoded(run, original, t.codes, table, at, end) !== end) break;
      at = end;
    }
    if (at === n) return endStats(emptyStats(), run, n);
  }
  const whole = startStats(emptyStats());
  visitDequantized(t, cb, (start, values) => accumulateStatsRange(whole, original.subarray(start, start + values.length), values, 0, values.length));
  return endStats(emptyStats(), whole, n);
}
