/**
 * Static rANS (range asymmetric numeral systems) with 16-bit-word renormalisation and 32-bit
 * states, after Duda (2013) and Giesen's ryg_rans (rans_word). Every state stays an integer in
 * [RANS_L, 2^31) with RANS_L = 2^15 ≥ 2^scaleBits, so a decoding step needs at most one 16-bit
 * word and the decoder renormalises without a branch. The decoder uses only shifts, masks,
 * `Math.imul` and table lookups. The encoder's quotient ⌊x / f⌋ is exact because x < 2^31 and
 * f < 2^15: `(x / f) | 0` in segments-impl.ts (a quotient of integers below 2^53 whose fractional
 * part is ≥ 1/f can never round up to the next integer), a biased reciprocal in encode-impl.ts.
 */

/** Lower bound of a normalised state. States live in [RANS_L, 2^31). */
export const RANS_L = 1 << 15;
/** Largest precision (log2 of the frequency total) the format allows (≤ log2 RANS_L). */
export const MAX_SCALE_BITS = 15;
/** Most interleaved states a stream may use. */
export const MAX_LANES = 4;

/**
 * Normalised frequencies: positive integers summing to exactly 2^`scaleBits` that minimise the
 * coded size Σ counts·log2(2^scaleBits / f) (greedy on the convex per-symbol cost: start from the
 * proportional floors, then move single units to or from the symbol whose cost changes least).
 *
 * @param counts - occurrences of each used symbol, all > 0; needs counts.length ≤ 2^scaleBits.
 */
export function normalizeFrequencies(counts: ArrayLike<number>, scaleBits: number): Uint32Array {
  const n = counts.length;
  const M = 2 ** scaleBits;
  if (n === 0 || n > M) throw new RangeError(`cannot normalise ${n} symbols to ${M}`);
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[i]!;
  const f = new Uint32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    f[i] = Math.max(1, Math.floor((counts[i]! * M) / total));
    sum += f[i]!;
  }
  if (sum === M) return f;
  const grow = sum < M;
  // Key: bits saved by one more unit (grow) or bits lost by one unit less (shrink, f > 1 only).
  const key = (i: number) => {
    const c = counts[i]!,
      v = f[i]!;
    if (grow) return c * Math.log2((v + 1) / v);
    return v > 1 ? -c * Math.log2(v / (v - 1)) : -Infinity;
  };
  const heap = new IndexHeap(n, key);
  let left = grow ? M - sum : sum - M;
  while (left > 0) {
    const i = heap.top();
    f[i] = grow ? f[i]! + 1 : f[i]! - 1;
    heap.update(i);
    left--;
  }
  return f;
}

/** A max-heap of indices 0…n−1 by a key function (ties: lower index first, for determinism). */
class IndexHeap {
  private readonly h: Uint32Array;
  private readonly pos: Uint32Array;
  private readonly k: Float64Array;
  constructor(
    n: number,
    private readonly key: (i: number) => number,
  ) {
    this.h = new Uint32Array(n);
    this.pos = new Uint32Array(n);
    this.k = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.h[i] = i;
      this.pos[i] = i;
      this.k[i] = key(i);
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.down(i);
  }
  top(): number {
    return this.h[0]!;
  }
  update(i: number): void {
    this.k[i] = this.key(i);
    this.up(this.pos[i]!);
    this.down(this.pos[i]!);
  }
  private less(a: number, b: number): boolean {
    const ka = this.k[a]!,
      kb = this.k[b]!;
    return ka > kb || (ka === kb && a < b);
  }
  private swap(a: number, b: number): void {
    const ia = this.h[a]!,
      ib = this.h[b]!;
    this.h[a] = ib;
    this.h[b] = ia;
    this.pos[ib] = a;
    this.pos[ia] = b;
  }
  private up(p: number): void {
    while (p > 0) {
      const q = (p - 1) >> 1;
      if (!this.less(this.h[p]!, this.h[q]!)) return;
      this.swap(p, q);
      p = q;
    }
  }
  private down(p: number): void {
    const n = this.h.length;
    for (;;) {
      const l = 2 * p + 1,
        r = l + 1;
      let m = p;
      if (l < n && this.less(this.h[l]!, this.h[m]!)) m = l;
      if (r < n && this.less(this.h[r]!, this.h[m]!)) m = r;
      if (m === p) return;
      this.swap(p, m);
      p = m;
    }
  }
}

/** Estimated payload bits of coding `counts` with frequencies `f` at `scaleBits`. */
export function payloadBitsEstimate(counts: ArrayLike<number>, f: Uint32Array, scaleBits: number): number {
  let bits = 0;
  for (let i = 0; i < f.length; i++) bits += counts[i]! * (scaleBits - Math.log2(f[i]!));
  return bits;
}
