import type { CodeArray } from "@quantforge/core";
import { RANS_L } from "./rans-impl.js";

/*
 * The rANS encoder's hot loop. One step for a symbol with frequency f and start c at precision s:
 *
 *   if x ≥ f << (31 − s): emit x's low 16-bit word, x >>= 16      (renormalisation)
 *   x = ⌊x / f⌋ · 2^s + x mod f + c = x + ⌊x / f⌋ · (2^s − f) + c
 *
 * The quotient comes from a precomputed reciprocal instead of a division: q = ⌊x · ρ_f⌋ with
 * ρ_f = fl(fl(1/f) · (1 + 2^−45)). That is exact for every x < 2^31 and 1 ≤ f < 2^15: ρ_f lies
 * in (1/f)·[1 + 2^−45 − 3·2^−53, 1 + 2^−45 + 3·2^−53] (three roundings of relative size ≤ 2^−53),
 * so with the product's own rounding fl(x · ρ_f) ≥ x/f, and fl(x · ρ_f) ≤ x/f + x · 2^−44.9 / f
 * < x/f + 1/f ≤ ⌊x/f⌋ + 1, because x · 2^−44.9 < 1 and x/f lies at least 1/f below the next
 * integer. A double multiply and a
 * truncation (`| 0`) replace a double division on the critical path; the bytes are the same.
 */

/** Per-symbol constants of the encoder (indexed like `freq`; entries with f = 0 are unused). */
export interface EncodeTables {
  /** f << (31 − s): x at or above it renormalises first. */
  readonly xMax: Int32Array;
  /** 2^s − f. */
  readonly cmpl: Int32Array;
  readonly start: Int32Array;
  /** ρ_f (see above). */
  readonly rcp: Float64Array;
  readonly scaleBits: number;
}

/** 1 + 2^−45, the reciprocals' upward bias (exported for the exactness test). */
export const RCP_BIAS = 1 + 2 ** -45;

/** The encoder's constants of `freq` and `start` (indexed alike) at precision `scaleBits`. */
export function encodeTables(freq: Uint32Array, start: Uint32Array, scaleBits: number): EncodeTables {
  const m = freq.length,
    shift = 31 - scaleBits,
    M = 1 << scaleBits;
  const xMax = new Int32Array(m),
    cmpl = new Int32Array(m),
    st = new Int32Array(m),
    rcp = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const f = freq[r]!;
    if (f === 0) continue;
    xMax[r] = f << shift;
    cmpl[r] = M - f;
    st[r] = start[r]!;
    rcp[r] = (1 / f) * RCP_BIAS;
  }
  return { xMax, cmpl, start: st, rcp, scaleBits };
}

/** Bytes one 4-symbol round may write below p (a 16-bit word per symbol). */
const ROUND_BYTES = 8;

/** `buf` with room for at least `need` more bytes below p: a copy twice as long, filled at its end. */
function grow(buf: Uint8Array, p: number, need: number): Uint8Array<ArrayBuffer> {
  const used = buf.length - p;
  const next = new Uint8Array(Math.max(2 * buf.length, used + need + 64));
  next.set(buf.subarray(p), next.length - used);
  return next;
}

/**
 * rANS-encodes `ranks` (each an index into `freq`/`start`) with `lanes` interleaved states:
 * symbol i goes to state i mod lanes. Returns the payload: the final states (4 bytes each,
 * big-endian, lane 0 first) followed by the renormalisation words (big-endian) in decoding order.
 * The payload is written backwards from the end of a buffer of `sizeHint` bytes (it grows when
 * the hint is short; the default, 2 bytes per symbol, always suffices) and returned as a view
 * at its end: a hint near the payload's size saves allocating and touching 2 bytes per symbol.
 */
export function ransEncodeView(ranks: CodeArray, freq: Uint32Array, start: Uint32Array, scaleBits: number, lanes: number, sizeHint = 2 * ranks.length): Uint8Array {
  const n = ranks.length;
  let buf: Uint8Array<ArrayBuffer> = new Uint8Array(Math.max(0, sizeHint) + 4 * lanes + ROUND_BYTES);
  let dv = new DataView(buf.buffer);
  const { xMax, cmpl, start: st, rcp } = encodeTables(freq, start, scaleBits);
  let p = buf.length;
  const states = new Int32Array(lanes).fill(RANS_L);
  // Branchless renormalisation: w = 1 when x ≥ x_max (then the low word is emitted and shifted
  // out). The word is always stored below p (setUint16 keeps x's low 16 bits, big-endian); only
  // w decides whether p moves past it.
  let i = n - 1;
  // The tail first, one symbol at a time, until the remaining count is a multiple of lanes (with
  // 4 lanes; other counts run here entirely).
  const stop = lanes === 4 ? n - (n & 3) - 1 : -1;
  for (; i > stop; i--) {
    if (p < 2) {
      buf = grow(buf, p, 2 * (i + 1) + 4 * lanes);
      p = buf.length - (dv.byteLength - p);
      dv = new DataView(buf.buffer);
    }
    const lane = i % lanes;
    let x = states[lane]!;
    const r = ranks[i]!;
    const w = (xMax[r]! - 1 - x) >>> 31;
    dv.setUint16(p - 2, x);
    p -= w << 1;
    x >>= w << 4;
    states[lane] = x + Math.imul((x * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
  }
  if (lanes === 4) {
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!;
    while (i >= 3) {
      // As many rounds as surely fit below p, without a check per round; then grow.
      const end = i - 4 * Math.min((i + 1) >> 2, Math.floor(p / ROUND_BYTES));
      for (; i > end; i -= 4) {
        let r = ranks[i]!,
          w = (xMax[r]! - 1 - x3) >>> 31;
        dv.setUint16(p - 2, x3);
        p -= w << 1;
        x3 >>= w << 4;
        x3 = x3 + Math.imul((x3 * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
        r = ranks[i - 1]!;
        w = (xMax[r]! - 1 - x2) >>> 31;
        dv.setUint16(p - 2, x2);
        p -= w << 1;
        x2 >>= w << 4;
        x2 = x2 + Math.imul((x2 * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
        r = ranks[i - 2]!;
        w = (xMax[r]! - 1 - x1) >>> 31;
        dv.setUint16(p - 2, x1);
        p -= w << 1;
        x1 >>= w << 4;
        x1 = x1 + Math.imul((x1 * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
        r = ranks[i - 3]!;
        w = (xMax[r]! - 1 - x0) >>> 31;
        dv.setUint16(p - 2, x0);
        p -= w << 1;
        x0 >>= w << 4;
        x0 = x0 + Math.imul((x0 * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
      }
      if (i >= 3 && p < ROUND_BYTES) {
        buf = grow(buf, p, 2 * (i + 1) + 4 * lanes);
        p = buf.length - (dv.byteLength - p);
        dv = new DataView(buf.buffer);
      }
    }
    states[0] = x0;
    states[1] = x1;
    states[2] = x2;
    states[3] = x3;
  }
  if (p < 4 * lanes) {
    buf = grow(buf, p, 4 * lanes);
    p = buf.length - (dv.byteLength - p);
    dv = new DataView(buf.buffer);
  }
  for (let lane = lanes - 1; lane >= 0; lane--) {
    p -= 4;
    dv.setInt32(p, states[lane]!);
  }
  return buf.subarray(p);
}

/** {@link ransEncodeView} as a compact array of its own. */
export function ransEncode(ranks: CodeArray, freq: Uint32Array, start: Uint32Array, scaleBits: number, lanes: number): Uint8Array {
  return ransEncodeView(ranks, freq, start, scaleBits, lanes).slice();
}
