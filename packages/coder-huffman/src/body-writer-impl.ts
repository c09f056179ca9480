import type { CodeArray } from "@quantforge/core";
import type { BitOut } from "./bitio.js";
import { PAIR_MIN_VALUES, tupleTable } from "./pairs-impl.js";

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Appends the code of every `index[i]` (its length `lens[index[i]]`, its canonical code
 * `codes[index[i]]`) to `out`, MSB first. `bits` is the body's exact size when known (else −1:
 * one pass sums it). Codes are ≤ 24 bits.
 *
 * The hot loop accumulates whole 32-bit words (one store and one rarely-taken branch per word
 * instead of a byte loop per symbol) and, from {@link PAIR_MIN_VALUES} codes on, codes two or
 * three symbols per step through a concatenated-code table ({@link tupleTable}). The bytes are
 * those of writing each code with `out.write` in turn.
 */
export function writeCodes(out: BitOut, index: CodeArray, lens: Uint8Array, codes: Uint32Array, bits: number): void {
  const n = index.length;
  let total = bits;
  if (total < 0) {
    total = 0;
    for (let i = 0; i < n; i++) total += lens[index[i]!]!;
  }
  out.reserve(Math.ceil(total / 8) + 8);
  const buf = out.buf;
  if (!HOST_LE || buf.byteOffset % 4 !== 0) {
    byteLoop(out, index, 0, lens, codes);
    return;
  }
  // Resume at the last word boundary: the complete bytes since it and the pending bits become
  // the accumulator (at most 3·8 + 7 = 31 bits).
  // (`pending` is a local: esbuild's TypeScript parser misreads "<< out" as a type parameter modifier.)
  const a = out.pos & ~3,
    pending = out.cnt;
  let acc = 0;
  for (let p = a; p < out.pos; p++) acc = (acc << 8) | buf[p]!;
  acc = (acc << pending) | out.acc;
  let cnt = 8 * (out.pos - a) + pending;
  const words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  let q = a >>> 2,
    i = 0;
  const tuple = n >= PAIR_MIN_VALUES ? tupleTable(lens, codes) : undefined;
  if (tuple) {
    // k symbols per step: their codes concatenated (≤ 24 bits) are the same bits written one after the other.
    const S = lens.length,
      tl = tuple.lens,
      tc = tuple.codes;
    if (tuple.k === 3) {
      while (i + 2 < n) {
        const k = (index[i]! * S + index[i + 1]!) * S + index[i + 2]!;
        let l = tl[k]!,
          v = tc[k]!;
        // A triple longer than the word takes (length 0): its first symbol alone (rare: tail codes).
        if (l === 0) {
          const s = index[i++]!;
          l = lens[s]!;
          v = codes[s]!;
        } else i += 3;
        const room = 32 - cnt;
        if (l < room) {
          acc = (acc << l) | v;
          cnt += l;
        } else {
          // The word is full: store it big-endian (MSB-first bit order), keep the spilled low bits.
          const spill = l - room;
          const w = (acc << room) | (v >>> spill);
          words[q++] = (w >>> 24) | ((w >>> 8) & 0xff00) | ((w << 8) & 0xff0000) | (w << 24);
          acc = v & ((1 << spill) - 1);
          cnt = spill;
        }
      }
    } else {
      while (i + 1 < n) {
        const k = index[i]! * S + index[i + 1]!;
        let l = tl[k]!,
          v = tc[k]!;
        if (l === 0) {
          const s = index[i++]!;
          l = lens[s]!;
          v = codes[s]!;
        } else i += 2;
        const room = 32 - cnt;
        if (l < room) {
          acc = (acc << l) | v;
          cnt += l;
        } else {
          const spill = l - room;
          const w = (acc << room) | (v >>> spill);
          words[q++] = (w >>> 24) | ((w >>> 8) & 0xff00) | ((w << 8) & 0xff0000) | (w << 24);
          acc = v & ((1 << spill) - 1);
          cnt = spill;
        }
      }
    }
  }
  for (; i < n; i++) {
    const s = index[i]!;
    const l = lens[s]!,
      v = codes[s]!;
    const room = 32 - cnt;
    if (l < room) {
      acc = (acc << l) | v;
      cnt += l;
    } else {
      const spill = l - room;
      const w = (acc << room) | (v >>> spill);
      words[q++] = (w >>> 24) | ((w >>> 8) & 0xff00) | ((w << 8) & 0xff0000) | (w << 24);
      acc = v & ((1 << spill) - 1);
      cnt = spill;
    }
  }
  // Whole bytes of the last partial word; fewer than 8 bits stay pending in `out`.
  let p = q * 4;
  while (cnt >= 8) {
    cnt -= 8;
    buf[p++] = acc >>> cnt;
  }
  out.pos = p;
  out.acc = acc & ((1 << cnt) - 1);
  out.cnt = cnt;
}

/** The byte-at-a-time writer (big-endian hosts, unaligned buffers). */
function byteLoop(out: BitOut, index: CodeArray, from: number, lens: Uint8Array, codes: Uint32Array): void {
  const buf = out.buf;
  let p = out.pos,
    acc = out.acc,
    cnt = out.cnt;
  for (let i = from; i < index.length; i++) {
    const s = index[i]!;
    const l = lens[s]!;
    // acc holds < 8 pending bits between symbols, so acc << 24 stays < 2^31.
    acc = (acc << l) | codes[s]!;
    cnt += l;
    while (cnt >= 8) {
      cnt -= 8;
      buf[p++] = acc >>> cnt;
    }
    acc &= (1 << cnt) - 1;
  }
  out.pos = p;
  out.acc = acc;
  out.cnt = cnt;
}
