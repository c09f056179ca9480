import type { CodeArray } from "@quantforge/core";
import { RANS_L } from "./rans-impl.js";
import { decodeSymbols, openPayload, type DecodeTable } from "./decode-impl.js";
import { encodeTables, type EncodeTables } from "./encode-impl.js";

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
  readonly values: CodeArray;
  readonly freq: Uint32Array;
  readonly start: Uint32Array;
  readonly scaleBits: number;
}

/** Encodes the segments in order as one payload with `lanes` (1, 2 or 4) interleaved states. */
export function ransEncodeSegments(segs: readonly EncodeSegment[], lanes: number): Uint8Array {
  let total = 0;
  for (const s of segs) total += s.values.length;
  const buf = new Uint8Array(2 * total + 4 * lanes + 8);
  const dv = new DataView(buf.buffer);
  let p = buf.length;
  const states = new Int32Array(lanes).fill(RANS_L);
  const laneMask = lanes - 1;
  // Slices on one shared table share its arrays: their encoder constants are built once.
  const tables = new Map<Uint32Array, { start: Uint32Array; t: EncodeTables }>();
  let g = total;
  for (let k = segs.length - 1; k >= 0; k--) {
    const { values, freq, start, scaleBits } = segs[k]!;
    let c = tables.get(freq);
    if (!c || c.start !== start || c.t.scaleBits !== scaleBits) tables.set(freq, (c = { start, t: encodeTables(freq, start, scaleBits) }));
    const t = c.t;
    const { xMax, cmpl, rcp } = t,
      st = t.start;
    const n = values.length;
    g -= n;
    // Same branchless step and reciprocal quotient as ransEncodeView (encode-impl.ts).
    for (let i = n - 1; i >= 0; i--) {
      const lane = (g + i) & laneMask;
      let x = states[lane]!;
      const r = values[i]!;
      const w = (xMax[r]! - 1 - x) >>> 31;
      dv.setUint16(p - 2, x);
      p -= w << 1;
      x >>= w << 4;
      states[lane] = x + Math.imul((x * rcp[r]!) | 0, cmpl[r]!) + st[r]!;
    }
  }
  for (let lane = lanes - 1; lane >= 0; lane--) {
    p -= 4;
    dv.setInt32(p, states[lane]!);
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

/** Opens `payload[from, to)` for {@link decodeSegment} (see {@link openPayload}); null when it cannot hold the states. */
export function openSegments(payload: Uint8Array, from: number, to: number, lanes: number): SegmentReader | null {
  const o = openPayload(payload, from, to, lanes);
  return o === null ? null : { buf: o.buf, p: o.p, end: o.end, lanes, states: o.states, done: 0 };
}

/**
 * Decodes the next `out.length` symbols with table `t`. Returns false when the payload runs out
 * (only a corrupted one does); the loop is bounded by `out.length`. The states are rotated so
 * that the next symbol's lane comes first, and decoded by decode-impl.ts's loops.
 */
export function decodeSegment(s: SegmentReader, t: DecodeTable, out: Uint32Array): boolean {
  const lanes = s.lanes,
    laneMask = lanes - 1,
    first = s.done & laneMask,
    states = s.states;
  const rotated = new Int32Array(lanes);
  for (let l = 0; l < lanes; l++) rotated[l] = states[(first + l) & laneMask]!;
  const p = decodeSymbols(s.buf, s.p, s.end, t, lanes, rotated, out);
  if (p < 0) return false;
  for (let l = 0; l < lanes; l++) states[(first + l) & laneMask] = rotated[l]!;
  s.p = p;
  s.done += out.length;
  return true;
}

/** True when every word was consumed and every state is back at the encoder's initial RANS_L. */
export function closeSegments(s: SegmentReader): boolean {
  if (s.p !== s.end) return false;
  for (let lane = 0; lane < s.lanes; lane++) if (s.states[lane] !== RANS_L) return false;
  return true;
}
