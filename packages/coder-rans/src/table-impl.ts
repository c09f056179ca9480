import { DecodeError } from "@quantforge/core";
import { ByteReader, ByteWriter } from "@quantforge/core/format";
import { MAX_SCALE_BITS, normalizeFrequencies, payloadBitsEstimate } from "./rans-impl.js";
import { bitLength, varintBytes } from "./section-impl.js";

/**
 * A frequency table of a group (shared or one tensor's own):
 *
 *   u8 precision s | bitmap << 4 | varint #symbols − 2 | symbol set | varint (f − 1) per symbol
 *   but the last (whose f is 2^s − the rest)
 *
 * with the symbol set as in a section: gaps (varint first, varint gap − 1 per further symbol) or
 * a bitmap (varint first, varint span, ⌈span/8⌉ bytes), whichever is shorter.
 */
export interface Table {
  readonly symbols: Uint32Array;
  readonly freq: Uint32Array;
  readonly scaleBits: number;
}

function setBytes(symbols: Uint32Array): { gaps: number; bitmap: number } {
  const k = symbols.length;
  let gaps = varintBytes(symbols[0]!);
  for (let i = 1; i < k; i++) gaps += varintBytes(symbols[i]! - symbols[i - 1]! - 1);
  const span = symbols[k - 1]! - symbols[0]! + 1;
  return { gaps, bitmap: varintBytes(symbols[0]!) + varintBytes(span) + Math.ceil(span / 8) };
}

/** Bytes {@link writeTable} spends on a table of `symbols` (≥ 2) with `freq`. */
export function tableBytes(symbols: Uint32Array, freq: Uint32Array): number {
  const k = symbols.length;
  const set = setBytes(symbols);
  let b = 1 + varintBytes(k - 2) + Math.min(set.gaps, set.bitmap);
  for (let i = 0; i < k - 1; i++) b += varintBytes(freq[i]! - 1);
  return b;
}

/**
 * The table (precision ≤ `maxScaleBits`) that makes table bytes plus the coded size of `counts`
 * smallest, with its cost in bits; null when the symbols do not fit the precision.
 */
export function planTable(symbols: Uint32Array, counts: ArrayLike<number>, maxScaleBits: number): { table: Table; bits: number } | null {
  const k = symbols.length;
  let best: { table: Table; bits: number } | null = null;
  for (let s = Math.max(1, bitLength(k - 1)); s <= maxScaleBits; s++) {
    const freq = normalizeFrequencies(counts, s);
    const bits = 8 * tableBytes(symbols, freq) + payloadBitsEstimate(counts, freq, s);
    if (!best || bits < best.bits) best = { table: { symbols, freq, scaleBits: s }, bits };
  }
  return best;
}

/** Appends `t` (≥ 2 symbols) to `w`. */
export function writeTable(w: ByteWriter, t: Table): void {
  const { symbols, freq } = t;
  const k = symbols.length;
  const set = setBytes(symbols);
  const bitmap = set.bitmap < set.gaps;
  w.u8(t.scaleBits | (bitmap ? 16 : 0))
    .varint(k - 2)
    .varint(symbols[0]!);
  if (bitmap) {
    const span = symbols[k - 1]! - symbols[0]! + 1;
    const bits = new Uint8Array(Math.ceil(span / 8));
    for (let i = 0; i < k; i++) {
      const j = symbols[i]! - symbols[0]!;
      bits[j >> 3]! |= 1 << (j & 7);
    }
    w.varint(span).bytes(bits);
  } else {
    for (let i = 1; i < k; i++) w.varint(symbols[i]! - symbols[i - 1]! - 1);
  }
  for (let i = 0; i < k - 1; i++) w.varint(freq[i]! - 1);
}

function corrupt(what: string): never {
  throw new DecodeError(`rans group ${what}. The container is corrupted; re-encode it.`);
}

/** Reads a table written by {@link writeTable}; symbols must be below `alphabetSize`. */
export function readTable(r: ByteReader, alphabetSize: number): Table {
  const head = r.u8();
  if (head > 31) corrupt(`has an unknown table header ${head}`);
  const scaleBits = head & 15;
  if (scaleBits < 1 || scaleBits > MAX_SCALE_BITS) corrupt(`has precision ${scaleBits} (1…${MAX_SCALE_BITS})`);
  const M = 1 << scaleBits;
  const k = r.varint() + 2;
  if (k > M || k > alphabetSize) corrupt(`declares ${k} symbols at precision ${scaleBits} for a ${alphabetSize}-symbol alphabet`);
  // Every symbol costs at least one bit of the set and one byte of frequency (but the last).
  if (k - 1 > r.remaining) corrupt(`declares ${k} symbols in ${r.remaining} bytes`);
  const symbols = new Uint32Array(k);
  const first = r.varint();
  if ((head & 16) !== 0) {
    const span = r.varint();
    if (span < k || first + span > alphabetSize) corrupt(`has a symbol span ${span} outside its ${alphabetSize}-symbol alphabet`);
    const bits = r.bytes(Math.ceil(span / 8));
    let j = 0;
    for (let b = 0; b < span; b++)
      if (bits[b >> 3]! & (1 << (b & 7))) {
        if (j === k) corrupt("has more symbols in its bitmap than declared");
        symbols[j++] = first + b;
      }
    if (j !== k || symbols[0] !== first || symbols[k - 1] !== first + span - 1) corrupt("has a symbol bitmap that does not match its count");
    if (span & 7 && bits[bits.length - 1]! >> (span & 7)) corrupt("has non-zero bitmap padding");
  } else {
    symbols[0] = first;
    let v = first;
    for (let i = 1; i < k && v < alphabetSize; i++) {
      v += r.varint() + 1;
      symbols[i] = v;
    }
    if (v >= alphabetSize) corrupt(`has a symbol outside its ${alphabetSize}-symbol alphabet`);
  }
  const freq = new Uint32Array(k);
  let sum = 0;
  for (let i = 0; i < k - 1; i++) {
    const f = r.varint() + 1;
    sum += f;
    if (sum >= M) corrupt("has frequencies that exceed the precision");
    freq[i] = f;
  }
  freq[k - 1] = M - sum;
  return { symbols, freq, scaleBits };
}
