/**
 * Static rANS (range asymmetric numeral systems) with 16-bit-word renormalisation and 32-bit
 * states, after Duda (2013) and Giesen's ryg_rans (rans_word). Every state stays an integer in
 * [RANS_L, 2^31) with RANS_L = 2^15 ≥ 2^scaleBits, so a decoding step needs at most one 16-bit
 * word and the decoder renormalises without a branch. The decoder uses only shifts, masks,
 * `Math.imul` and table lookups; the encoder's one division, `(x / f) | 0`, is exact because
 * x < 2^31 and f < 2^15 (a quotient of integers below 2^53 whose fractional part is ≥ 1/f can
 * never round up to the next integer).
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

/**
 * rANS-encodes `ranks` (each an index into `freq`/`start`) with `lanes` interleaved states:
 * symbol i goes to state i mod lanes. Returns the payload: the final states (4 bytes each,
 * big-endian, lane 0 first) followed by the renormalisation words (big-endian) in decoding order.
 */
export function ransEncode(ranks: Uint32Array, freq: Uint32Array, start: Uint32Array, scaleBits: number, lanes: number): Uint8Array {
  const n = ranks.length;
  // Each symbol emits at most one 16-bit word (x_max ≥ 2^16 > x >>> 16), plus the flushed states;
  // the slack keeps the speculative stores below p inside the buffer.
  const buf = new Uint8Array(2 * n + 4 * lanes + 8);
  let p = buf.length;
  const shift = 31 - scaleBits;
  const states = new Int32Array(lanes).fill(RANS_L);
  // Branchless renormalisation: w = 1 when x ≥ x_max = f << shift (then the low word is emitted
  // and shifted out). The word is always stored below p; only w decides whether p moves past it.
  let i = n - 1,
    w = 0;
  // The tail first, one symbol at a time, until the remaining count is a multiple of lanes.
  for (; i >= 0 && (i + 1) % lanes !== 0; i--) {
    const lane = i % lanes;
    let x = states[lane]!;
    const r = ranks[i]!,
      f = freq[r]!;
    w = ((f << shift) - 1 - x) >>> 31;
    buf[p - 1] = x & 0xff;
    buf[p - 2] = (x >>> 8) & 0xff;
    p -= w << 1;
    x >>>= w << 4;
    const q = (x / f) | 0;
    states[lane] = (q << scaleBits) + (x - q * f) + start[r]!;
  }
  if (lanes === 4) {
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!;
    for (; i >= 3; i -= 4) {
      let r = ranks[i]!,
        f = freq[r]!,
        q = 0;
      w = ((f << shift) - 1 - x3) >>> 31;
      buf[p - 1] = x3 & 0xff;
      buf[p - 2] = (x3 >>> 8) & 0xff;
      p -= w << 1;
      x3 >>>= w << 4;
      q = (x3 / f) | 0;
      x3 = (q << scaleBits) + (x3 - q * f) + start[r]!;
      r = ranks[i - 1]!;
      f = freq[r]!;
      w = ((f << shift) - 1 - x2) >>> 31;
      buf[p - 1] = x2 & 0xff;
      buf[p - 2] = (x2 >>> 8) & 0xff;
      p -= w << 1;
      x2 >>>= w << 4;
      q = (x2 / f) | 0;
      x2 = (q << scaleBits) + (x2 - q * f) + start[r]!;
      r = ranks[i - 2]!;
      f = freq[r]!;
      w = ((f << shift) - 1 - x1) >>> 31;
      buf[p - 1] = x1 & 0xff;
      buf[p - 2] = (x1 >>> 8) & 0xff;
      p -= w << 1;
      x1 >>>= w << 4;
      q = (x1 / f) | 0;
      x1 = (q << scaleBits) + (x1 - q * f) + start[r]!;
      r = ranks[i - 3]!;
      f = freq[r]!;
      w = ((f << shift) - 1 - x0) >>> 31;
      buf[p - 1] = x0 & 0xff;
      buf[p - 2] = (x0 >>> 8) & 0xff;
      p -= w << 1;
      x0 >>>= w << 4;
      q = (x0 / f) | 0;
      x0 = (q << scaleBits) + (x0 - q * f) + start[r]!;
    }
    states[0] = x0;
    states[1] = x1;
    states[2] = x2;
    states[3] = x3;
  } else {
    for (; i >= 0; i--) {
      const lane = i % lanes;
      let x = states[lane]!;
      const r = ranks[i]!,
        f = freq[r]!;
      w = ((f << shift) - 1 - x) >>> 31;
      buf[p - 1] = x & 0xff;
      buf[p - 2] = (x >>> 8) & 0xff;
      p -= w << 1;
      x >>>= w << 4;
      const q = (x / f) | 0;
      states[lane] = (q << scaleBits) + (x - q * f) + start[r]!;
    }
  }
  for (let lane = lanes - 1; lane >= 0; lane--) {
    const x = states[lane]!;
    buf[--p] = x & 0xff;
    buf[--p] = (x >>> 8) & 0xff;
    buf[--p] = (x >>> 16) & 0xff;
    buf[--p] = x >>> 24;
  }
  return buf.slice(p);
}

/**
 * Decoding table of one frequency table. `packed` (when 2·scaleBits + bits of the largest symbol
 * ≤ 32): per slot f << (32 − scaleBits) | (slot − start) << valueBits | symbol, one lookup per
 * code. Otherwise `info` = f << 16 | (slot − start) and `symbol` per slot.
 */
export interface DecodeTable {
  readonly scaleBits: number;
  readonly valueBits: number;
  readonly packed: Int32Array | null;
  readonly symbol: Uint32Array;
  readonly info: Uint32Array;
}

/** Builds the slot → symbol tables for `values` (the coded symbol of each rank) with `freq`. */
export function buildDecodeTable(values: Uint32Array, freq: Uint32Array, scaleBits: number): DecodeTable {
  const M = 1 << scaleBits;
  let maxV = 0;
  for (const v of values) if (v > maxV) maxV = v;
  const valueBits = 32 - Math.clz32(maxV);
  if (2 * scaleBits + valueBits <= 32) {
    const packed = new Int32Array(M);
    let slot = 0;
    for (let r = 0; r < freq.length; r++) {
      const f = freq[r]!,
        v = values[r]!;
      const hi = (f << (32 - scaleBits)) | v;
      for (let j = 0; j < f; j++) packed[slot++] = hi | (j << valueBits);
    }
    return { scaleBits, valueBits, packed, symbol: new Uint32Array(0), info: new Uint32Array(0) };
  }
  const symbol = new Uint32Array(M),
    info = new Uint32Array(M);
  let slot = 0;
  for (let r = 0; r < freq.length; r++) {
    const f = freq[r]!,
      v = values[r]!;
    for (let j = 0; j < f; j++) {
      symbol[slot] = v;
      info[slot] = ((f << 16) | j) >>> 0;
      slot++;
    }
  }
  return { scaleBits, valueBits, packed: null, symbol, info };
}

/**
 * Decodes `out.length` symbols from `payload[from, to)` written by {@link ransEncode}. Returns
 * false when the payload is inconsistent: a state outside [RANS_L, 2^31), words read past `to`
 * or left over, or final states other than the encoder's initial RANS_L. The loop is bounded
 * by `out.length` and every state stays in range, so corrupted input never hangs or throws.
 */
export function ransDecode(payload: Uint8Array, from: number, to: number, t: DecodeTable, lanes: number, out: Uint32Array): boolean {
  const len = to - from;
  if (len < 4 * lanes || len % 2 !== 0) return false;
  // The branchless renormalisation reads one word ahead even when it does not consume it: read
  // in place when two bytes follow the payload (a stream's CRC does), else from a zero-padded
  // copy. Bytes past `to` are never consumed without the final checks failing.
  let buf = payload,
    p = from;
  if (to + 2 > payload.length) {
    buf = new Uint8Array(len + 2);
    buf.set(payload.subarray(from, to));
    p = 0;
  }
  const stop = p + len;
  const states = new Int32Array(lanes);
  for (let lane = 0; lane < lanes; lane++) {
    const x = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    if (x < RANS_L) return false; // also rejects x ≥ 2^31, which reads as negative
    states[lane] = x;
    p += 4;
  }
  const ok = t.packed ? decodePacked(buf, p, stop, t, lanes, states, out) : decodeWide(buf, p, stop, t, lanes, states, out);
  if (!ok) return false;
  for (let lane = 0; lane < lanes; lane++) if (states[lane] !== RANS_L) return false;
  return true;
}

/*
 * Renormalisation without a branch: r = 1 when x < RANS_L (then one word is shifted in), else 0.
 *   r = (x − RANS_L) >>> 31;  x = (x << (r << 4)) | (word & −r);  p += r << 1
 * x < 2^15 before the shift, so x << 16 < 2^31 stays a positive int32.
 */

function decodePacked(buf: Uint8Array, p: number, end: number, t: DecodeTable, lanes: number, states: Int32Array, out: Uint32Array): boolean {
  const n = out.length,
    scale = t.scaleBits,
    mask = (1 << scale) - 1,
    fShift = 32 - scale,
    vBits = t.valueBits;
  const vMask = (1 << vBits) - 1,
    bMask = mask;
  const tab = t.packed!;
  let i = 0;
  if (lanes === 4) {
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!,
      e = 0,
      r = 0;
    for (; i + 4 <= n; i += 4) {
      e = tab[x0 & mask]!;
      out[i] = e & vMask;
      x0 = Math.imul(e >>> fShift, x0 >>> scale) + ((e >>> vBits) & bMask);
      r = (x0 - RANS_L) >>> 31;
      x0 = (x0 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      e = tab[x1 & mask]!;
      out[i + 1] = e & vMask;
      x1 = Math.imul(e >>> fShift, x1 >>> scale) + ((e >>> vBits) & bMask);
      r = (x1 - RANS_L) >>> 31;
      x1 = (x1 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      e = tab[x2 & mask]!;
      out[i + 2] = e & vMask;
      x2 = Math.imul(e >>> fShift, x2 >>> scale) + ((e >>> vBits) & bMask);
      r = (x2 - RANS_L) >>> 31;
      x2 = (x2 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      e = tab[x3 & mask]!;
      out[i + 3] = e & vMask;
      x3 = Math.imul(e >>> fShift, x3 >>> scale) + ((e >>> vBits) & bMask);
      r = (x3 - RANS_L) >>> 31;
      x3 = (x3 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      // An overrun can only come from a corrupted payload; stop before p runs off the padding.
      if (p > end) return false;
    }
    states[0] = x0;
    states[1] = x1;
    states[2] = x2;
    states[3] = x3;
  }
  for (; i < n; i++) {
    const lane = i % lanes;
    let x = states[lane]!;
    const e = tab[x & mask]!;
    out[i] = e & vMask;
    x = Math.imul(e >>> fShift, x >>> scale) + ((e >>> vBits) & bMask);
    const r = (x - RANS_L) >>> 31;
    x = (x << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
    p += r << 1;
    if (p > end) return false;
    states[lane] = x;
  }
  return p === end;
}

function decodeWide(buf: Uint8Array, p: number, end: number, t: DecodeTable, lanes: number, states: Int32Array, out: Uint32Array): boolean {
  const n = out.length,
    scale = t.scaleBits,
    mask = (1 << scale) - 1;
  const sym = t.symbol,
    info = t.info;
  let i = 0;
  if (lanes === 4) {
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!,
      s = 0,
      e = 0,
      r = 0;
    for (; i + 4 <= n; i += 4) {
      s = x0 & mask;
      e = info[s]!;
      out[i] = sym[s]!;
      x0 = Math.imul(e >>> 16, x0 >>> scale) + (e & 0xffff);
      r = (x0 - RANS_L) >>> 31;
      x0 = (x0 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      s = x1 & mask;
      e = info[s]!;
      out[i + 1] = sym[s]!;
      x1 = Math.imul(e >>> 16, x1 >>> scale) + (e & 0xffff);
      r = (x1 - RANS_L) >>> 31;
      x1 = (x1 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      s = x2 & mask;
      e = info[s]!;
      out[i + 2] = sym[s]!;
      x2 = Math.imul(e >>> 16, x2 >>> scale) + (e & 0xffff);
      r = (x2 - RANS_L) >>> 31;
      x2 = (x2 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      s = x3 & mask;
      e = info[s]!;
      out[i + 3] = sym[s]!;
      x3 = Math.imul(e >>> 16, x3 >>> scale) + (e & 0xffff);
      r = (x3 - RANS_L) >>> 31;
      x3 = (x3 << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      if (p > end) return false;
    }
    states[0] = x0;
    states[1] = x1;
    states[2] = x2;
    states[3] = x3;
  }
  for (; i < n; i++) {
    const lane = i % lanes;
    let x = states[lane]!;
    const s = x & mask,
      e = info[s]!;
    out[i] = sym[s]!;
    x = Math.imul(e >>> 16, x >>> scale) + (e & 0xffff);
    const r = (x - RANS_L) >>> 31;
    x = (x << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
    p += r << 1;
    if (p > end) return false;
    states[lane] = x;
  }
  return p === end;
}
