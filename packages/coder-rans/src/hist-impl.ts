import type { CodeArray } from "@quantforge/core";
import { usedSymbols } from "@quantforge/core/format";

/** Distinct values ascending and their counts. */
export interface Histogram {
  readonly symbols: Uint32Array;
  readonly counts: Float64Array;
}

/**
 * Histogram of `values`: the distinct values ascending and their counts. `bound`, when given, is
 * a number every value is known to be below (it saves the scan for the largest value).
 */
export function histogram(values: CodeArray, bound?: number): Histogram {
  const n = values.length;
  if (n === 0) return { symbols: new Uint32Array(0), counts: new Float64Array(0) };
  let max = 0;
  if (bound !== undefined && bound <= 4 * n + 1024 && bound <= 1 << 22) max = bound - 1;
  else for (let i = 0; i < n; i++) if (values[i]! > max) max = values[i]!;
  if (max < 1 << 22 && max <= 4 * n + 1024) return usedSymbols(countDense(values, max + 1));
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

/**
 * The {@link histogram} of `values`, or null when some value is not below `alphabetSize`. For
 * long arrays over small alphabets the range check is fused into the counting: the OR of all
 * values bounds them by a power of two, and only when that bound is not below the alphabet size
 * does a second pass look for an offending value (values past the tables' ends are not counted:
 * typed-array stores out of range are dropped).
 */
export function countCodes(values: CodeArray, alphabetSize: number): Histogram | null {
  const n = values.length;
  if (n >= 1 << 12 && alphabetSize <= 1 << 16) {
    const h0 = new Int32Array(alphabetSize),
      h1 = new Int32Array(alphabetSize),
      h2 = new Int32Array(alphabetSize),
      h3 = new Int32Array(alphabetSize);
    let any = 0,
      i = 0;
    for (; i + 4 <= n; i += 4) {
      const v0 = values[i]!,
        v1 = values[i + 1]!,
        v2 = values[i + 2]!,
        v3 = values[i + 3]!;
      any |= v0 | v1 | v2 | v3;
      h0[v0]!++;
      h1[v1]!++;
      h2[v2]!++;
      h3[v3]!++;
    }
    for (; i < n; i++) {
      any |= values[i]!;
      h0[values[i]!]!++;
    }
    if (any >>> 0 >= alphabetSize) for (let j = 0; j < n; j++) if (values[j]! >= alphabetSize) return null;
    for (let s = 0; s < alphabetSize; s++) h0[s] = h0[s]! + h1[s]! + h2[s]! + h3[s]!;
    return usedSymbols(h0);
  }
  for (let i = 0; i < n; i++) if (values[i]! >= alphabetSize) return null;
  return histogram(values, alphabetSize);
}

/**
 * Occurrences of each value below `size` (all values must be below it). Four tables take turns,
 * so runs of one value (skewed codes) do not wait on the previous increment of the same counter.
 */
function countDense(values: CodeArray, size: number): Int32Array {
  const n = values.length;
  const h0 = new Int32Array(size);
  if (n < 1 << 12 || size > 1 << 16) {
    for (let i = 0; i < n; i++) h0[values[i]!]!++;
    return h0;
  }
  const h1 = new Int32Array(size),
    h2 = new Int32Array(size),
    h3 = new Int32Array(size);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    h0[values[i]!]!++;
    h1[values[i + 1]!]!++;
    h2[values[i + 2]!]!++;
    h3[values[i + 3]!]!++;
  }
  for (; i < n; i++) h0[values[i]!]!++;
  for (let s = 0; s < size; s++) h0[s] = h0[s]! + h1[s]! + h2[s]! + h3[s]!;
  return h0;
}
