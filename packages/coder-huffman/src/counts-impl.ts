/** Values per block of {@link denseCounts}. */
const COUNT_BLOCK = 65536;
/** Largest histogram {@link denseCounts} grows to (bins); larger values take the caller's other path. */
const LANE_CAP = 1 << 16;

/**
 * Counts `c[start…end)` into four interleaved int32 histograms of `size` bins each (lane k mod 4
 * at offset (k mod 4)·size; runs of equal codes would otherwise wait on the previous increment
 * of one bin) and returns the OR of the codes: below a power of two P exactly when the largest
 * code is, so it decides growth like the max without a compare chain. A code ≥ `size` lands in
 * another lane or past the end (dropped); {@link uncountBlock} then undoes exactly those writes.
 */
function countBlock(c: Uint32Array, start: number, end: number, h: Int32Array, size: number): number {
  let or = 0,
    k = start;
  if (size === 256) {
    // The common 8-bit case with constant lane offsets.
    for (; k + 3 < end; k += 4) {
      const a = c[k]!,
        b = c[k + 1]!,
        e = c[k + 2]!,
        f = c[k + 3]!;
      h[a]!++;
      h[256 + b]!++;
      h[512 + e]!++;
      h[768 + f]!++;
      or |= a | b | e | f;
    }
  } else {
    const s2 = 2 * size,
      s3 = 3 * size;
    for (; k + 3 < end; k += 4) {
      const a = c[k]!,
        b = c[k + 1]!,
        e = c[k + 2]!,
        f = c[k + 3]!;
      h[a]!++;
      h[size + b]!++;
      h[s2 + e]!++;
      h[s3 + f]!++;
      or |= a | b | e | f;
    }
  }
  for (; k < end; k++) {
    const a = c[k]!;
    h[a]!++;
    or |= a;
  }
  return or >>> 0;
}

/** Undoes {@link countBlock} of the same block (the same bins, decremented). */
function uncountBlock(c: Uint32Array, start: number, end: number, h: Int32Array, size: number): void {
  let k = start;
  for (; k + 3 < end; k += 4) {
    h[c[k]!]!--;
    h[size + c[k + 1]!]!--;
    h[2 * size + c[k + 2]!]!--;
    h[3 * size + c[k + 3]!]!--;
  }
  for (; k < end; k++) h[c[k]!]!--;
}

/**
 * Counts of every value 0…max of `values` (length max + 1), or undefined when the largest value
 * reaches `limit` or {@link LANE_CAP}. One pass: four interleaved int32 histograms per 64K block
 * ({@link countBlock}); a block with a value the histogram cannot fit is undone, the histogram
 * doubles until it fits, and the block is counted again. A lane holds at most a quarter of the
 * values (≤ 2^30 elements per tensor), so int32 counts are exact.
 */
export function denseCounts(values: Uint32Array, limit: number): Float64Array | undefined {
  const n = values.length;
  let size = 256;
  let lanes = new Int32Array(4 * size);
  for (let i = 0; i < n; i += COUNT_BLOCK) {
    const end = Math.min(n, i + COUNT_BLOCK);
    const or = countBlock(values, i, end, lanes, size);
    if (or < size) continue;
    uncountBlock(values, i, end, lanes, size);
    // LANE_CAP is a power of two: the OR reaches it exactly when the largest value does.
    if (or >= LANE_CAP) return undefined;
    let next = size;
    while (next <= or) next *= 2;
    const grown = new Int32Array(4 * next);
    for (let l = 0; l < 4; l++) grown.set(lanes.subarray(l * size, (l + 1) * size), l * next);
    lanes = grown;
    size = next;
    countBlock(values, i, end, lanes, size);
  }
  let top = size - 1;
  while (top >= 0 && lanes[top]! + lanes[size + top]! + lanes[2 * size + top]! + lanes[3 * size + top]! === 0) top--;
  if (top >= limit) return undefined;
  const out = new Float64Array(top + 1);
  for (let s = 0; s <= top; s++) out[s] = lanes[s]! + lanes[size + s]! + lanes[2 * size + s]! + lanes[3 * size + s]!;
  return out;
}
