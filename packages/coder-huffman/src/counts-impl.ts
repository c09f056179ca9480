import type { CodeArray } from "@quantforge/core";
import { codeHistogram } from "@quantforge/core/format";

/** Largest histogram {@link denseCounts} grows to (bins); larger values take the caller's other path. */
const LANE_CAP = 1 << 16;

/**
 * Counts of every value 0…max of `values` (length max + 1), or undefined when the largest value
 * reaches `limit` or {@link LANE_CAP}: core's one-pass {@link codeHistogram}, or `known` when the
 * caller has it.
 */
export function denseCounts(values: CodeArray, limit: number, known?: Float64Array): Float64Array | undefined {
  // A caller's histogram of `values` (core's CodeFacts: codeHistogram for some larger cap) is the
  // one counted here when it fits under this cap.
  const h = known ? (known.length > LANE_CAP ? undefined : known) : codeHistogram([values], LANE_CAP);
  return h && h.length - 1 >= limit ? undefined : h;
}
