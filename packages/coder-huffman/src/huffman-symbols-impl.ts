import type { CodeArray } from "@quantforge/core";
import { writeCodes } from "./body-writer-impl.js";
import { BitIn, BitOut } from "./bitio.js";
import { canonicalCodes, type Alphabet, type SectionCode } from "./huffman-impl.js";
import { bad } from "./huffman-table-impl.js";
import { SYMBOL_TABLE_LIMIT, symbolLengths } from "./symbol-tables-impl.js";

/** Index bits of the primary decoding table. */
const PRIMARY_BITS = 11;

/** Maps every value to its rank in the ascending `symbols` (all values must occur there). */
function ranks(values: CodeArray, symbols: Uint32Array): Uint32Array {
  const out = new Uint32Array(values.length);
  const max = symbols.length ? symbols[symbols.length - 1]! : 0;
  if (max < 1 << 22) {
    const map = new Uint32Array(max + 1);
    for (let r = 0; r < symbols.length; r++) map[symbols[r]!] = r;
    for (let i = 0; i < values.length; i++) out[i] = map[values[i]!]!;
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0,
      hi = symbols.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (symbols[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

function rawWidth(maxSym: number): number {
  let w = 1;
  while (2 ** w <= maxSym) w++;
  return w;
}

/** Exact payload bits for `values` under `c`. */
export function payloadBits(c: SectionCode, alpha: Alphabet): number {
  if (c.symbols.length <= 1) return 0;
  let total = 0;
  if (c.raw) {
    const w = rawWidth(c.symbols[c.symbols.length - 1]!);
    for (let i = 0; i < alpha.counts.length; i++) total += alpha.counts[i]! * w;
    return total;
  }
  for (let i = 0; i < c.lengths.length; i++) total += alpha.counts[i]! * c.lengths[i]!;
  return total;
}

/** Appends the codes of `values` (every value must be a symbol of `c`); `alpha`, the histogram `c` was designed from, gives the body size without a pass over `values`. */
export function writeSymbols(out: BitOut, c: SectionCode, values: CodeArray, alpha?: Alphabet): void {
  const n = values.length;
  if (c.symbols.length <= 1 || n === 0) return;
  if (c.raw) {
    const w = rawWidth(c.symbols[c.symbols.length - 1]!);
    out.reserve(Math.ceil((n * w) / 8) + 8);
    for (let i = 0; i < n; i++) out.writeLong(values[i]!, w);
    return;
  }
  const maxSym = c.symbols[c.symbols.length - 1]!;
  if (maxSym < SYMBOL_TABLE_LIMIT) {
    // Tables indexed by the symbol itself: no rank array (4 bytes per value) and no indirection.
    writeCodes(out, values, symbolLengths(c.symbols, c.lengths), symbolCodes(c), alpha && alpha.symbols === c.symbols ? payloadBits(c, alpha) : -1);
    return;
  }
  writeCodes(out, ranks(values, c.symbols), c.lengths, canonicalCodes(c.lengths), alpha && alpha.symbols === c.symbols ? payloadBits(c, alpha) : -1);
}

/** Canonical code of every symbol value up to the largest (0 for values that are not symbols). */
function symbolCodes(c: SectionCode): Uint32Array {
  const ranked = canonicalCodes(c.lengths);
  const codes = new Uint32Array(c.symbols[c.symbols.length - 1]! + 1);
  for (let r = 0; r < c.symbols.length; r++) codes[c.symbols[r]!] = ranked[r]!;
  return codes;
}

/**
 * Decodes `count` symbols into `out` by table lookup: a primary table indexed by the next 11
 * bits resolves every code of up to 11 bits in one step; longer codes fall to the canonical
 * limits (first code and count per length), compared numerically — never a bit-by-bit tree walk.
 */
export function readSymbols(inp: BitIn, c: SectionCode, out: Uint32Array, count: number): void {
  const syms = c.symbols;
  if (syms.length === 0) {
    if (count > 0) bad(`${count} values but an empty code table`);
    return;
  }
  if (syms.length === 1 && !c.raw) {
    out.fill(syms[0]!, 0, count);
    return;
  }
  if (c.raw) {
    const maxSym = syms[0]!;
    const w = rawWidth(maxSym);
    for (let i = 0; i < count; i++) {
      const v = inp.readLong(w);
      if (v > maxSym) bad(`raw symbol ${v} above the declared maximum ${maxSym}`);
      out[i] = v;
    }
    return;
  }
  const lens = c.lengths;
  const n = lens.length;
  let maxLen = 0;
  for (let i = 0; i < n; i++) if (lens[i]! > maxLen) maxLen = lens[i]!;
  const k = Math.min(PRIMARY_BITS, maxLen);
  const codes = canonicalCodes(lens);
  const primary = new Int32Array(1 << k);
  const countBy = new Int32Array(maxLen + 1),
    firstCode = new Float64Array(maxLen + 1),
    offset = new Int32Array(maxLen + 1);
  for (let i = 0; i < n; i++) countBy[lens[i]!]!++;
  for (let len = 1, o = 0; len <= maxLen; len++) {
    offset[len] = o;
    o += countBy[len]!;
  }
  const sorted = new Int32Array(n);
  const fillPos = Int32Array.from(offset);
  // Primary entries hold the symbol itself when it fits in 26 bits (one indirection less in the
  // hot loop), else its rank; the low 5 bits hold the code length (0 = longer than k bits).
  const direct = syms[n - 1]! < 1 << 26;
  for (let i = 0; i < n; i++) {
    const l = lens[i]!;
    sorted[fillPos[l]!++] = i;
    if (l <= k) {
      const base = codes[i]! << (k - l);
      const e = ((direct ? syms[i]! : i) << 5) | l;
      for (let j = 0; j < 1 << (k - l); j++) primary[base + j] = e;
    }
  }
  for (let len = 1; len <= maxLen; len++) if (countBy[len]! > 0) firstCode[len] = codes[sorted[offset[len]!]!]!;
  const buf = inp.buf,
    end = inp.end;
  let p = inp.pos,
    acc = inp.acc,
    cnt = inp.cnt;
  const kShift = k,
    kMask = (1 << k) - 1,
    lMask = maxLen >= 31 ? -1 : (1 << maxLen) - 1;
  const safeEnd = end - 4;
  for (let i = 0; i < count; i++) {
    if (cnt <= 24) {
      // Whole bytes until at least 25 bits are buffered; no bounds test away from the end.
      if (p <= safeEnd) {
        while (cnt <= 24) {
          acc = ((acc << 8) | buf[p++]!) >>> 0;
          cnt += 8;
        }
      } else {
        while (cnt <= 24) {
          acc = ((acc << 8) | (p < end ? buf[p]! : 0)) >>> 0;
          p++;
          cnt += 8;
        }
      }
    }
    const e = primary[(acc >>> (cnt - kShift)) & kMask]!;
    if (e !== 0) {
      cnt -= e & 31;
      out[i] = direct ? e >>> 5 : syms[e >>> 5]!;
      continue;
    }
    const v = (acc >>> (cnt - maxLen)) & lMask;
    let hit = -1;
    for (let len = k + 1; len <= maxLen; len++) {
      const d = Math.floor(v / 2 ** (maxLen - len)) - firstCode[len]!;
      if (d >= 0 && d < countBy[len]!) {
        hit = sorted[offset[len]! + d]!;
        cnt -= len;
        break;
      }
    }
    if (hit < 0) bad("a bit pattern that is no code of its table");
    out[i] = syms[hit]!;
  }
  inp.pos = p;
  inp.acc = acc;
  inp.cnt = cnt;
}
