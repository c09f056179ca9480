import { RANS_L } from "./rans-impl.js";
import type { DecodeTable } from "./decode-impl.js";

/**
 * One rANS payload over several segments, each with its own frequency table and precision (a
 * group's tensors, each coded with the shared table or its own). Mixing precisions is exact
 * because every precision s ≤ 15 divides RANS_L = 2^15: a state x ∈ [2^15, 2^31) renormalises to
 * [2^15, 2^31) for any s. Lanes (1, 2 or 4) run on across segments: symbol j of the concatenation
 * goes to state j mod lanes. The payload layout is ransEncode's: the final states (4 bytes each,
 * big-endian, lane 0 first), then 16-bit renormalisation words in decoding order.
 */

/** A segment to encode: `values` indexed into `freq`/`start` (by value or by rank). */
export interface EncodeSegment {
  readonly values: Uint32Array;
  readonly freq: Uint32Array;
  readonly start: Uint32Array;
  readonly scaleBits: number;
}

/** Encodes the segments in order as one payload with `lanes` (1, 2 or 4) interleaved states. */
export function ransEncodeSegments(segs: readonly EncodeSegment[], lanes: number): Uint8Array {
  let total = 0;
  for (const s of segs) total += s.values.length;
  const buf = new Uint8Array(2 * total + 4 * lanes + 8);
  let p = buf.length;
  const states = new Int32Array(lanes).fill(RANS_L);
  const laneMask = lanes - 1;
  let g = total;
  for (let k = segs.length - 1; k >= 0; k--) {
    const { values, freq, start, scaleBits } = segs[k]!;
    const n = values.length,
      shift = 31 - scaleBits;
    g -= n;
    // Same branchless step as ransEncode: w = 1 when x ≥ f << shift, then a word is emitted.
    for (let i = n - 1; i >= 0; i--) {
      const lane = (g + i) & laneMask;
      let x = states[lane]!;
      const r = values[i]!,
        f = freq[r]!;
      const w = ((f << shift) - 1 - x) >>> 31;
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

/** Decoding state of a multi-segment payload (see {@link openSegments}). */
export interface SegmentReader {
  readonly buf: Uint8Array;
  p: number;
  readonly end: number;
  readonly lanes: number;
  readonly states: Int32Array;
  /** Symbols decoded so far (the next symbol's lane is `done mod lanes`). */
  done: number;
}

/**
 * Opens `payload[from, to)` for {@link decodeSegment}; null when it cannot hold the states.
 * The renormalisation reads one word ahead, so the payload is copied with two bytes of padding
 * when fewer follow it.
 */
export function openSegments(payload: Uint8Array, from: number, to: number, lanes: number): SegmentReader | null {
  const len = to - from;
  if (len < 4 * lanes || len % 2 !== 0) return null;
  let buf = payload,
    p = from;
  if (to + 2 > payload.length) {
    buf = new Uint8Array(len + 2);
    buf.set(payload.subarray(from, to));
    p = 0;
  }
  const end = p + len;
  const states = new Int32Array(lanes);
  for (let lane = 0; lane < lanes; lane++) {
    const x = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    if (x < RANS_L) return null; // also rejects x ≥ 2^31, which reads as negative
    states[lane] = x;
    p += 4;
  }
  return { buf, p, end, lanes, states, done: 0 };
}

/**
 * Decodes the next `out.length` symbols with table `t`. Returns false when the payload runs out
 * (only a corrupted one does); the loop is bounded by `out.length`.
 */
export function decodeSegment(s: SegmentReader, t: DecodeTable, out: Uint32Array): boolean {
  const { buf, end, states } = s;
  const n = out.length,
    scale = t.scaleBits,
    mask = (1 << scale) - 1,
    laneMask = s.lanes - 1;
  let p = s.p;
  const base = s.done;
  if (t.packed) {
    const tab = t.packed,
      fShift = 32 - scale,
      vBits = t.valueBits,
      vMask = (1 << vBits) - 1;
    for (let i = 0; i < n; i++) {
      const lane = (base + i) & laneMask;
      let x = states[lane]!;
      const e = tab[x & mask]!;
      out[i] = e & vMask;
      x = Math.imul(e >>> fShift, x >>> scale) + ((e >>> vBits) & mask);
      const r = (x - RANS_L) >>> 31;
      x = (x << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      if (p > end) return false;
      states[lane] = x;
    }
  } else {
    const sym = t.symbol,
      info = t.info;
    for (let i = 0; i < n; i++) {
      const lane = (base + i) & laneMask;
      let x = states[lane]!;
      const sl = x & mask,
        e = info[sl]!;
      out[i] = sym[sl]!;
      x = Math.imul(e >>> 16, x >>> scale) + (e & 0xffff);
      const r = (x - RANS_L) >>> 31;
      x = (x << (r << 4)) | (((buf[p]! << 8) | buf[p + 1]!) & -r);
      p += r << 1;
      if (p > end) return false;
      states[lane] = x;
    }
  }
  s.p = p;
  s.done = base + n;
  return true;
}

/** True when every word was consumed and every state is back at the encoder's initial RANS_L. */
export function closeSegments(s: SegmentReader): boolean {
  if (s.p !== s.end) return false;
  for (let lane = 0; lane < s.lanes; lane++) if (s.states[lane] !== RANS_L) return false;
  return true;
}
