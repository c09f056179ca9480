import { RANS_L } from "./rans-impl.js";

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
 * Decodes `out.length` symbols from `payload[from, to)` written by `ransEncode` (encode-impl.ts). Returns
 * false when the payload is inconsistent: a state outside [RANS_L, 2^31), words read past `to`
 * or left over, or final states other than the encoder's initial RANS_L. The loop is bounded
 * by `out.length` and every state stays in range, so corrupted input never hangs or throws.
 */
export function ransDecode(payload: Uint8Array, from: number, to: number, t: DecodeTable, lanes: number, out: Uint32Array): boolean {
  const o = openPayload(payload, from, to, lanes);
  if (o === null || decodeSymbols(o.buf, o.p, o.end, t, lanes, o.states, out) !== o.end) return false;
  for (let lane = 0; lane < lanes; lane++) if (o.states[lane] !== RANS_L) return false;
  return true;
}

/** A payload opened for decoding: its bytes, the read position past the initial states, its end, and the states. */
export interface OpenPayload {
  readonly buf: Uint8Array;
  readonly p: number;
  readonly end: number;
  readonly states: Int32Array;
}

/**
 * Reads the `lanes` initial states of `payload[from, to)`; null when the payload cannot hold
 * them, has an odd length, or a state lies outside [RANS_L, 2^31). The branchless
 * renormalisation reads one word ahead even when it does not consume it: the bytes are read in
 * place when two bytes follow the payload (a stream's CRC does), else from a zero-padded copy.
 * Bytes past `to` are never consumed without the final checks failing.
 */
export function openPayload(payload: Uint8Array, from: number, to: number, lanes: number): OpenPayload | null {
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
  return { buf, p, end, states };
}

/*
 * Renormalisation without a branch: r = 1 when x < RANS_L (then one word is shifted in), else 0.
 *   r = (x − RANS_L) >>> 31;  x = (x << (r << 4)) | (word & −r);  p += r << 1
 * x < 2^15 before the shift, so x << 16 < 2^31 stays a positive int32.
 *
 * The 4-state loops read each big-endian word with one DataView.getUint16 (one bounds check and
 * a byte swap instead of two byte loads, two checks, a shift and an or: about 1.2× faster). A
 * DataView read past the buffer throws where a Uint8Array read gives undefined, so those loops
 * run only while the four words of a round lie inside the buffer (p ≤ lim, lim ≤ length − 8);
 * the last symbols finish in the one-state loop, which reads bytes.
 */

/**
 * Decodes `out.length` symbols from `buf` at `p` (words up to `end`; `buf` needs two bytes past
 * `end`) with `lanes` states, symbol i on states[i mod lanes], updating `states`. Returns the
 * position after the last word read, or −1 when the words ran past `end` (a corrupted payload).
 */
export function decodeSymbols(buf: Uint8Array, p: number, end: number, t: DecodeTable, lanes: number, states: Int32Array, out: Uint32Array): number {
  return t.packed ? decodePacked(buf, p, end, t, lanes, states, out) : decodeWide(buf, p, end, t, lanes, states, out);
}

function decodePacked(buf: Uint8Array, p: number, end: number, t: DecodeTable, lanes: number, states: Int32Array, out: Uint32Array): number {
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
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
      lim = Math.min(end, buf.length - 8);
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!,
      e = 0,
      r = 0;
    for (; i + 4 <= n && p <= lim; i += 4) {
      e = tab[x0 & mask]!;
      out[i] = e & vMask;
      x0 = Math.imul(e >>> fShift, x0 >>> scale) + ((e >>> vBits) & bMask);
      r = (x0 - RANS_L) >>> 31;
      x0 = (x0 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      e = tab[x1 & mask]!;
      out[i + 1] = e & vMask;
      x1 = Math.imul(e >>> fShift, x1 >>> scale) + ((e >>> vBits) & bMask);
      r = (x1 - RANS_L) >>> 31;
      x1 = (x1 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      e = tab[x2 & mask]!;
      out[i + 2] = e & vMask;
      x2 = Math.imul(e >>> fShift, x2 >>> scale) + ((e >>> vBits) & bMask);
      r = (x2 - RANS_L) >>> 31;
      x2 = (x2 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      e = tab[x3 & mask]!;
      out[i + 3] = e & vMask;
      x3 = Math.imul(e >>> fShift, x3 >>> scale) + ((e >>> vBits) & bMask);
      r = (x3 - RANS_L) >>> 31;
      x3 = (x3 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
    }
    // An overrun can only come from a corrupted payload.
    if (p > end) return -1;
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
    if (p > end) return -1;
    states[lane] = x;
  }
  return p;
}

function decodeWide(buf: Uint8Array, p: number, end: number, t: DecodeTable, lanes: number, states: Int32Array, out: Uint32Array): number {
  const n = out.length,
    scale = t.scaleBits,
    mask = (1 << scale) - 1;
  const sym = t.symbol,
    info = t.info;
  let i = 0;
  if (lanes === 4) {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
      lim = Math.min(end, buf.length - 8);
    let x0 = states[0]!,
      x1 = states[1]!,
      x2 = states[2]!,
      x3 = states[3]!,
      s = 0,
      e = 0,
      r = 0;
    for (; i + 4 <= n && p <= lim; i += 4) {
      s = x0 & mask;
      e = info[s]!;
      out[i] = sym[s]!;
      x0 = Math.imul(e >>> 16, x0 >>> scale) + (e & 0xffff);
      r = (x0 - RANS_L) >>> 31;
      x0 = (x0 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      s = x1 & mask;
      e = info[s]!;
      out[i + 1] = sym[s]!;
      x1 = Math.imul(e >>> 16, x1 >>> scale) + (e & 0xffff);
      r = (x1 - RANS_L) >>> 31;
      x1 = (x1 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      s = x2 & mask;
      e = info[s]!;
      out[i + 2] = sym[s]!;
      x2 = Math.imul(e >>> 16, x2 >>> scale) + (e & 0xffff);
      r = (x2 - RANS_L) >>> 31;
      x2 = (x2 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
      s = x3 & mask;
      e = info[s]!;
      out[i + 3] = sym[s]!;
      x3 = Math.imul(e >>> 16, x3 >>> scale) + (e & 0xffff);
      r = (x3 - RANS_L) >>> 31;
      x3 = (x3 << (r << 4)) | (dv.getUint16(p) & -r);
      p += r << 1;
    }
    if (p > end) return -1;
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
    if (p > end) return -1;
    states[lane] = x;
  }
  return p;
}
