import { DecodeError, type CodeArray } from "@quantforge/core";
import { ByteReader, ByteWriter } from "@quantforge/core/format";
import { MAX_LANES, MAX_SCALE_BITS, normalizeFrequencies, payloadBitsEstimate } from "./rans-impl.js";
import { buildDecodeTable, ransDecode } from "./decode-impl.js";
import { histogram, type Histogram } from "./hist-impl.js";
import { ransEncodeView } from "./encode-impl.js";

/**
 * A section codes a sequence of n symbols (n known to the reader) below an alphabet size K:
 *
 *   u8 mode (bits 0–1: 0 rANS, 1 one symbol, 2 raw, 3 empty; rANS: bit 2 symbol-set layout
 *      (0 gaps, 1 bitmap), bits 3–4 lanes − 1)
 *   rANS:   u8 scale bits | varint #symbols − 2 | symbol set | varint (f − 1) per symbol but the
 *           last (whose f is 2^scale − the rest) | varint payload bytes | payload
 *           symbol set, gaps: varint first, varint (gap − 1) per further symbol;
 *           bitmap: varint first, varint span, ⌈span/8⌉ bytes, bit j (LSB first) = first + j used
 *   one:    varint symbol (the n symbols cost nothing more)
 *   raw:    ⌈n·w/8⌉ bytes, w = bit length of K − 1, values LSB first
 *
 * The writer picks the mode, layout and precision whose section is shortest (tables counted).
 */

const MODE_RANS = 0,
  MODE_ONE = 1,
  MODE_RAW = 2,
  MODE_EMPTY = 3;

/** Options of {@link writeSection}. */
export interface SectionOptions {
  /** Highest precision tried (log2 of the frequency total), 1…16. */
  readonly maxScaleBits: number;
  /** Most interleaved states. */
  readonly maxLanes: number;
}

export { histogram };

export function varintBytes(v: number): number {
  let b = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    b++;
  }
  return b;
}
export function bitLength(v: number): number {
  let b = 0;
  while (v > 0) {
    b++;
    v = Math.floor(v / 2);
  }
  return b;
}

/** Interleaved states for `n` symbols: each costs 4 bytes, so small streams use fewer. */
export function lanesFor(n: number, maxLanes: number): number {
  const want = n >= 1 << 15 ? 4 : n >= 1 << 11 ? 2 : 1;
  return Math.min(want, maxLanes);
}

/** A precision and its normalised frequencies; `bytes` estimates table plus payload. */
export interface Plan {
  scaleBits: number;
  freq: Uint32Array;
  bytes: number;
  /** The payload part of `bytes` (states included). */
  payloadBytes: number;
}

/** The cheapest precision for this histogram: table bytes plus estimated payload bytes. */
export function planRans(counts: Float64Array, opts: SectionOptions, lanes: number): Plan | null {
  const k = counts.length;
  const minScale = Math.max(1, bitLength(k - 1));
  let best: Plan | null = null;
  for (let s = minScale; s <= opts.maxScaleBits; s++) {
    const freq = normalizeFrequencies(counts, s);
    let table = 0;
    for (let i = 0; i < k - 1; i++) table += varintBytes(freq[i]! - 1);
    const payload = Math.ceil(payloadBitsEstimate(counts, freq, s) / 8) + 4 * lanes;
    const bytes = table + payload + varintBytes(payload);
    if (!best || bytes < best.bytes) best = { scaleBits: s, freq, bytes, payloadBytes: payload };
  }
  return best;
}

/**
 * Appends the section coding `values` (all below `alphabetSize`) to `w`; `hist`, when given, is
 * their {@link histogram} (saves counting again).
 */
export function writeSection(w: ByteWriter, values: CodeArray, alphabetSize: number, opts: SectionOptions, hist?: Histogram): void {
  const n = values.length;
  if (n === 0) {
    w.u8(MODE_EMPTY);
    return;
  }
  const { symbols, counts } = hist ?? histogram(values, alphabetSize);
  const k = symbols.length;
  if (k === 1) {
    w.u8(MODE_ONE).varint(symbols[0]!);
    return;
  }
  const width = bitLength(alphabetSize - 1);
  const rawBytes = Math.ceil((n * width) / 8);
  const lanes = lanesFor(n, opts.maxLanes);
  const plan = k <= 2 ** opts.maxScaleBits ? planRans(counts, opts, lanes) : null;
  // Symbol set: gaps or a bitmap over the span, whichever is shorter.
  let gapBytes = varintBytes(symbols[0]!);
  for (let i = 1; i < k; i++) gapBytes += varintBytes(symbols[i]! - symbols[i - 1]! - 1);
  const span = symbols[k - 1]! - symbols[0]! + 1;
  const bitmapBytes = varintBytes(symbols[0]!) + varintBytes(span) + Math.ceil(span / 8);
  const setBytes = Math.min(gapBytes, bitmapBytes);
  if (!plan || 2 + varintBytes(k - 2) + setBytes + plan.bytes >= rawBytes) {
    writeRaw(w, values, width);
    return;
  }
  const bitmap = bitmapBytes < gapBytes;
  w.u8(MODE_RANS | (bitmap ? 4 : 0) | ((lanes - 1) << 3))
    .u8(plan.scaleBits)
    .varint(k - 2);
  if (bitmap) {
    const bits = new Uint8Array(Math.ceil(span / 8));
    for (let i = 0; i < k; i++) {
      const j = symbols[i]! - symbols[0]!;
      bits[j >> 3]! |= 1 << (j & 7);
    }
    w.varint(symbols[0]!).varint(span).bytes(bits);
  } else {
    w.varint(symbols[0]!);
    for (let i = 1; i < k; i++) w.varint(symbols[i]! - symbols[i - 1]! - 1);
  }
  const freq = plan.freq;
  for (let i = 0; i < k - 1; i++) w.varint(freq[i]! - 1);
  // Frequencies and starts indexed by the value itself when the values are small, else by rank.
  const maxV = symbols[k - 1]!;
  let coded: CodeArray, f: Uint32Array, c: Uint32Array;
  const start = new Uint32Array(k);
  for (let i = 1; i < k; i++) start[i] = start[i - 1]! + freq[i - 1]!;
  if (maxV < 1 << 20) {
    f = new Uint32Array(maxV + 1);
    c = new Uint32Array(maxV + 1);
    for (let i = 0; i < k; i++) {
      f[symbols[i]!] = freq[i]!;
      c[symbols[i]!] = start[i]!;
    }
    coded = values;
  } else {
    const rank = new Map<number, number>();
    for (let i = 0; i < k; i++) rank.set(symbols[i]!, i);
    coded = new Uint32Array(n);
    for (let i = 0; i < n; i++) coded[i] = rank.get(values[i]!)!;
    f = freq;
    c = start;
  }
  // By reference: the writer copies the payload once, when it finishes.
  // Sized near the estimate (the buffer grows if the estimate is short).
  const payload = ransEncodeView(coded, f, c, plan.scaleBits, lanes, plan.payloadBytes + (plan.payloadBytes >> 6) + 64);
  w.varint(payload.length).ref(payload);
}

function writeRaw(w: ByteWriter, values: CodeArray, width: number): void {
  const out = new Uint8Array(Math.ceil((values.length * width) / 8));
  let bit = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    for (let b = 0; b < width; b++, bit++) if (Math.floor(v / 2 ** b) % 2) out[bit >> 3]! |= 1 << (bit & 7);
  }
  w.u8(MODE_RAW).bytes(out);
}

function corrupt(what: string): never {
  throw new DecodeError(`rans stream ${what}. The stream is corrupted or truncated; re-encode it.`);
}

/** Reads a section of `n` symbols below `alphabetSize` written by {@link writeSection}. */
export function readSection(r: ByteReader, n: number, alphabetSize: number): Uint32Array {
  const head = r.u8();
  const mode = head & 3;
  if (mode === MODE_EMPTY) {
    if (head !== MODE_EMPTY || n !== 0) corrupt(`has an empty section for ${n} symbols`);
    return new Uint32Array(0);
  }
  if (n === 0) corrupt("has a non-empty section for 0 symbols");
  if (mode === MODE_ONE) {
    if (head !== MODE_ONE) corrupt(`has an unknown section header ${head}`);
    const s = r.varint();
    if (s >= alphabetSize) corrupt(`has symbol ${s} outside its ${alphabetSize}-symbol alphabet`);
    return new Uint32Array(n).fill(s);
  }
  if (mode === MODE_RAW) {
    if (head !== MODE_RAW) corrupt(`has an unknown section header ${head}`);
    const width = bitLength(alphabetSize - 1);
    const bytes = r.bytes(Math.ceil((n * width) / 8));
    const out = new Uint32Array(n);
    let bit = 0;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let b = 0; b < width; b++, bit++) if (bytes[bit >> 3]! & (1 << (bit & 7))) v += 2 ** b;
      if (v >= alphabetSize) corrupt(`has raw value ${v} outside its ${alphabetSize}-symbol alphabet`);
      out[i] = v;
    }
    if (bit & 7 && bytes[bytes.length - 1]! >> (bit & 7)) corrupt("has non-zero padding bits");
    return out;
  }
  if (head > 31) corrupt(`has an unknown section header ${head}`);
  const lanes = ((head >> 3) & 3) + 1;
  if (lanes > MAX_LANES) corrupt(`uses ${lanes} states`);
  const scaleBits = r.u8();
  if (scaleBits < 1 || scaleBits > MAX_SCALE_BITS) corrupt(`has precision ${scaleBits} (1…${MAX_SCALE_BITS})`);
  const M = 1 << scaleBits;
  const k = r.varint() + 2;
  if (k > M || k > alphabetSize) corrupt(`declares ${k} symbols at precision ${scaleBits} for a ${alphabetSize}-symbol alphabet`);
  // Every symbol costs at least one bit of the set and one byte of frequencies: bound k by the
  // bytes present before allocating.
  if (k > r.remaining) corrupt(`declares ${k} symbols in ${r.remaining} bytes`);
  const values = new Uint32Array(k);
  const first = r.varint();
  if ((head & 4) !== 0) {
    const span = r.varint();
    if (span < k || first + span > alphabetSize) corrupt(`has a symbol span ${span} outside its ${alphabetSize}-symbol alphabet`);
    const bits = r.bytes(Math.ceil(span / 8));
    let j = 0;
    for (let b = 0; b < span; b++)
      if (bits[b >> 3]! & (1 << (b & 7))) {
        if (j === k) corrupt("has more symbols in its bitmap than declared");
        values[j++] = first + b;
      }
    if (j !== k || values[0] !== first || values[k - 1] !== first + span - 1) corrupt("has a symbol bitmap that does not match its count");
    if (span & 7 && bits[bits.length - 1]! >> (span & 7)) corrupt("has non-zero bitmap padding");
  } else {
    values[0] = first;
    let v = first;
    for (let i = 1; i < k; i++) {
      v += r.varint() + 1;
      if (v >= alphabetSize) break;
      values[i] = v;
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
  const len = r.varint();
  const from = r.pos;
  r.bytes(len);
  const out = new Uint32Array(n);
  if (!ransDecode(r.buf, from, from + len, buildDecodeTable(values, freq, scaleBits), lanes, out)) corrupt("has an inconsistent rANS payload");
  return out;
}
