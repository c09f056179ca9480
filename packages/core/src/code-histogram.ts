/** Codes per block of {@link codeHistogram}; a block's four lanes hold at most this many counts. */
const BLOCK = 65536;

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

/** Adds the four lanes of `h` into `into` and clears them. */
function flushLanes(h: Int32Array, size: number, into: Float64Array): void {
  for (let k = 0; k < size; k++) into[k]! += h[k]! + h[size + k]! + h[2 * size + k]! + h[3 * size + k]!;
  h.fill(0);
}

/**
 * Histogram of every value of `arrays` pooled (length: largest value + 1; empty for no values),
 * or undefined when a value reaches `cap` (a power of two): a {@link CodeCounter} fed each array
 * whole. The code-histogram kernel of the coders' tables and the size evaluator's entropies: one copy.
 */
export function codeHistogram(arrays: readonly Uint32Array[], cap: number): Float64Array | undefined {
  const counter = new CodeCounter(cap);
  for (const c of arrays) if (!counter.add(c, 0, c.length)) return undefined;
  return counter.histogram();
}

/** Counts a lane may gather before they are added into the float64 histogram (int32 lanes never overflow). */
const LANE_FLUSH = 1 << 30;

/**
 * {@link codeHistogram} fed piece by piece: `add` ranges of code arrays in any order and pieces,
 * and `histogram` equals the one of all of them pooled (counts are exact integers). One pass:
 * each block of 64K values is counted into four int32 lanes; a block holding a value the
 * histogram cannot fit is undone, the histogram doubles until it fits, and the block is counted
 * again. Lanes are added into float64 counts before any could pass 2³¹.
 */
export class CodeCounter {
  private size = 256;
  private lanes = new Int32Array(4 * 256);
  private counts = new Float64Array(256);
  private pending = 0;
  private over = false;

  /** @param cap - A power of two: a value reaching it makes the histogram undefined. */
  constructor(private readonly cap: number) {}

  /** Counts `c[start…end)`; false (and every later call false) once a value reached the cap. */
  add(c: Uint32Array, start: number, end: number): boolean {
    if (this.over) return false;
    for (let i = start; i < end; i += BLOCK) {
      const e = Math.min(end, i + BLOCK);
      if (this.pending + (e - i) > LANE_FLUSH) this.flush();
      const or = countBlock(c, i, e, this.lanes, this.size);
      if (or >= this.size) {
        uncountBlock(c, i, e, this.lanes, this.size);
        // `cap` is a power of two: the OR reaches it exactly when the largest value does.
        if (or >= this.cap) {
          this.over = true;
          return false;
        }
        this.flush();
        let size = this.size;
        while (size <= or) size *= 2;
        this.lanes = new Int32Array(4 * size);
        const grown = new Float64Array(size);
        grown.set(this.counts);
        this.counts = grown;
        this.size = size;
        countBlock(c, i, e, this.lanes, size);
      }
      this.pending += e - i;
    }
    return true;
  }

  /** The histogram so far (length: largest value + 1), or undefined once a value reached the cap. */
  histogram(): Float64Array | undefined {
    if (this.over) return undefined;
    this.flush();
    let top = this.size - 1;
    while (top >= 0 && this.counts[top] === 0) top--;
    return this.counts.slice(0, top + 1);
  }

  private flush(): void {
    flushLanes(this.lanes, this.size, this.counts);
    this.pending = 0;
  }
}

/**
 * The used symbols of dense counts `h` (bins with a positive count, ascending) and their counts:
 * the alphabet a coder builds its table from. One pass counts them, a second fills exact-size arrays.
 */
export function usedSymbols(h: ArrayLike<number>): { symbols: Uint32Array; counts: Float64Array } {
  let k = 0;
  for (let s = 0; s < h.length; s++) if (h[s]! > 0) k++;
  const symbols = new Uint32Array(k),
    counts = new Float64Array(k);
  k = 0;
  for (let s = 0; s < h.length; s++)
    if (h[s]! > 0) {
      symbols[k] = s;
      counts[k++] = h[s]!;
    }
  return { symbols, counts };
}
