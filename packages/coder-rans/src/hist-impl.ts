import type { CodeArray } from "@quantforge/core";
import { codeHistogram, usedSymbols } from "@quantforge/core/format";

/** Distinct values ascending and their counts. */
export interface Histogram {
  readonly symbols: Uint32Array;
  readonly counts: Float64Array;
}

/** Largest table the dense count uses (values at or past it are sorted instead). */
const DENSE_MAX = 1 << 22;

/** The smallest power of two at least `v` (1 for v ≤ 1). */
function pow2AtLeast(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}

/**
 * Histogram of `values`: the distinct values ascending and their counts. `bound`, when given, is
 * a number every value is known to be below (the counting table's size). Values below a table a
 * few times their count are counted by core's `codeHistogram` (the one histogram kernel), others
 * sorted.
 */
export function histogram(values: CodeArray, bound?: number): Histogram {
  const n = values.length;
  if (n === 0) return { symbols: new Uint32Array(0), counts: new Float64Array(0) };
  const cap = Math.min(DENSE_MAX, pow2AtLeast(Math.min(bound ?? Infinity, 4 * n + 1024)));
  const dense = codeHistogram([values], cap);
  if (dense) return usedSymbols(dense);
  const sorted = Uint32Array.from(values).sort();
  let k = 1;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) k++;
  const symbols = new Uint32Array(k),
    counts = new Float64Array(k);
  k = 0;
  symbols[0] = sorted[0]!;
  counts[0] = 1;
  for (let i = 1; i < n; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      symbols[++k] = sorted[i]!;
      counts[k] = 0;
    }
    counts[k]!++;
  }
  return { symbols, counts };
}

/** The {@link histogram} of `values`, or null when some value is not below `alphabetSize`. */
export function countCodes(values: CodeArray, alphabetSize: number): Histogram | null {
  if (alphabetSize <= DENSE_MAX) {
    // One pass of core's kernel: it stops at the first block past the power of two above the alphabet.
    const h = codeHistogram([values], pow2AtLeast(alphabetSize));
    return h === undefined || h.length > alphabetSize ? null : usedSymbols(h);
  }
  for (let i = 0; i < values.length; i++) if (values[i]! >= alphabetSize) return null;
  return histogram(values, alphabetSize);
}
