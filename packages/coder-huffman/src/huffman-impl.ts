import { DecodeError } from "@quantforge/core";
import { usedSymbols } from "@quantforge/core/format";
import { denseCounts } from "./counts-impl.js";
import { writeCodes } from "./body-writer-impl.js";
import { BitIn, BitOut, expGolombBits } from "./bitio.js";
import { SYMBOL_TABLE_LIMIT, symbolLengths } from "./symbol-tables-impl.js";

/** Longest code the format allows (the decoder peeks at most 24 bits at a time). */
export const MAX_CODE_LENGTH = 24;
/** More distinct symbols than this in one section are stored as fixed-width raw codes. */
export const MAX_HUFFMAN_SYMBOLS = 1 << MAX_CODE_LENGTH;
/** Index bits of the primary decoding table. */
const PRIMARY_BITS = 11;

/**
 * Optimal prefix-code lengths for `weights` (all > 0), at most `maxLen` bits each.
 *
 * Unconstrained lengths come from the in-place Moffat–Katajainen algorithm (Huffman's
 * construction on sorted weights in O(n)); only if the longest exceeds `maxLen` does the
 * package-merge algorithm (Larmore–Hirschberg) find the optimal length-limited code. The result
 * is always a complete code (Kraft sum exactly 1) for n ≥ 2; n = 1 gets length 0.
 *
 * @param weights - symbol frequencies, one per symbol, each > 0.
 * @param maxLen - length limit; needs 2^maxLen ≥ n.
 * @returns the code length of each symbol, in input order.
 */
export function huffmanCodeLengths(weights: ArrayLike<number>, maxLen: number): Uint8Array {
  const n = weights.length;
  const out = new Uint8Array(n);
  if (n <= 1) return out;
  if (2 ** maxLen < n) throw new RangeError(`a ${maxLen}-bit length limit cannot code ${n} symbols`);
  // Sort ascending by (weight, index) for determinism.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => weights[a]! - weights[b]! || a - b);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = weights[order[i]!]!;
  const a = Float64Array.from(w);
  moffatKatajainen(a);
  let longest = 0;
  for (let i = 0; i < n; i++) if (a[i]! > longest) longest = a[i]!;
  const lens = longest <= maxLen ? a : packageMerge(w, maxLen);
  for (let i = 0; i < n; i++) out[order[i]!] = lens[i]!;
  return out;
}

/** In-place minimum-redundancy code lengths of ascending weights `A` (Moffat & Katajainen 1995). */
function moffatKatajainen(A: Float64Array): void {
  const n = A.length;
  // Phase 1: build the tree, parent pointers overwrite weights.
  A[0]! += A[1]!;
  let root = 0,
    leaf = 2;
  for (let next = 1; next < n - 1; next++) {
    if (leaf >= n || A[root]! < A[leaf]!) {
      A[next] = A[root]!;
      A[root++] = next;
    } else A[next] = A[leaf++]!;
    if (leaf >= n || (root < next && A[root]! < A[leaf]!)) {
      A[next]! += A[root]!;
      A[root++] = next;
    } else A[next]! += A[leaf++]!;
  }
  // Phase 2: internal node depths.
  A[n - 2] = 0;
  for (let next = n - 3; next >= 0; next--) A[next] = A[A[next]!]! + 1;
  // Phase 3: leaf depths, longest first (smallest weights first).
  let avbl = 1,
    used = 0,
    dpth = 0,
    rt = n - 2,
    nx = n - 1;
  while (avbl > 0) {
    while (rt >= 0 && A[rt] === dpth) {
      used++;
      rt--;
    }
    while (avbl > used) {
      A[nx--] = dpth;
      avbl--;
    }
    avbl = 2 * used;
    dpth++;
    used = 0;
  }
}

/**
 * Package-merge on ascending weights `w` with limit `L`: the optimal length-limited code.
 * Level lists are merged from the deepest level up; per level only a "is a package" flag per
 * list position is kept. The top level selects its first 2n−2 items; the packages among them
 * expand to a prefix of the level below, and so on. The leaves selected at each level are
 * always the cheapest ones, so a symbol's length is the number of levels whose selected leaf
 * count exceeds its rank.
 */
function packageMerge(w: Float64Array, L: number): Float64Array {
  const n = w.length;
  const flags: Uint8Array[] = new Array<Uint8Array>(L + 1);
  let prev = Float64Array.from(w); // level L list: leaves only
  let prevLen = n;
  flags[L] = new Uint8Array(n);
  for (let level = L - 1; level >= 1; level--) {
    const pk = prevLen >> 1;
    const len = n + pk;
    const cur = new Float64Array(len);
    const f = new Uint8Array(len);
    let i = 0,
      j = 0,
      o = 0;
    while (i < n || j < pk) {
      const pw = j < pk ? prev[2 * j]! + prev[2 * j + 1]! : Infinity;
      if (i < n && w[i]! <= pw) {
        cur[o] = w[i++]!;
        f[o++] = 0;
      } else {
        cur[o] = pw;
        f[o++] = 1;
        j++;
      }
    }
    flags[level] = f;
    prev = cur;
    prevLen = len;
  }
  const hist = new Int32Array(n + 1);
  let sel = 2 * n - 2;
  for (let level = 1; level <= L && sel > 0; level++) {
    const f = flags[level]!;
    let pkgs = 0;
    for (let p = 0; p < sel; p++) pkgs += f[p]!;
    hist[sel - pkgs]!++;
    sel = 2 * pkgs;
  }
  const out = new Float64Array(n);
  let acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    acc += hist[i + 1]!;
    out[i] = acc;
  }
  return out;
}

/**
 * Canonical codes for `lengths` (symbols ordered by (length, index)), as in DEFLATE (RFC 1951
 * §3.2.2). Length-0 symbols get no code.
 */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  let maxLen = 0;
  for (const l of lengths) if (l > maxLen) maxLen = l;
  const count = new Uint32Array(maxLen + 2);
  for (const l of lengths) if (l > 0) count[l]!++;
  // next[len] = (next[len−1] + count[len−1]) << 1, next[1] = 0.
  const next = new Float64Array(maxLen + 2);
  for (let len = 2; len <= maxLen; len++) next[len] = (next[len - 1]! + count[len - 1]!) * 2;
  const codes = new Uint32Array(lengths.length);
  for (let i = 0; i < lengths.length; i++) {
    const l = lengths[i]!;
    if (l > 0) codes[i] = next[l]!++;
  }
  return codes;
}

/** True when `lengths` (0 = unused) form a complete prefix code: Σ 2^−len = 1 exactly. */
export function isCompleteCode(lengths: Uint8Array): boolean {
  let sum = 0;
  for (const l of lengths) {
    if (l > MAX_CODE_LENGTH) return false;
    if (l > 0) sum += 2 ** (MAX_CODE_LENGTH - l);
  }
  return sum === 2 ** MAX_CODE_LENGTH;
}

/** Zeroth-order entropy of a histogram in bits per symbol (0 for an empty or one-symbol histogram). */
export function entropyBits(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) h -= (c / total) * Math.log2(c / total);
  }
  return h;
}

/** The distinct symbols of `values` (ascending) and how often each occurs. */
export interface Alphabet {
  readonly symbols: Uint32Array;
  readonly counts: Float64Array;
}

/** Histogram of `values` (or of `histogram`, their dense histogram, when given): dense counting when the largest value is small, sorting otherwise. */
export function alphabetOf(values: Uint32Array, histogram?: Float64Array): Alphabet {
  if (values.length === 0) return { symbols: new Uint32Array(0), counts: new Float64Array(0) };
  // Values below 2^16: one counting pass. Dense counting needs max < 2^22 and max ≤ 4n + 1024.
  // Dense and sorted counting give the same alphabet, so a histogram the caller has is used as is.
  let h = histogram ?? denseCounts(values, Math.min(1 << 22, values.length * 4 + 1025));
  if (!h) {
    let max = 0;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    if (max < 1 << 22 && max <= values.length * 4 + 1024) {
      h = new Float64Array(max + 1);
      for (let i = 0; i < values.length; i++) h[values[i]!]!++;
    }
  }
  if (h) return usedSymbols(h);
  const sorted = Uint32Array.from(values).sort();
  let k = 1;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) k++;
  const symbols = new Uint32Array(k),
    counts = new Float64Array(k);
  k = 0;
  symbols[0] = sorted[0]!;
  counts[0] = 1;
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1]) {
      symbols[++k] = sorted[i]!;
      counts[k] = 0;
    }
    counts[k]!++;
  }
  return { symbols, counts };
}

/** Maps every value to its rank in the ascending `symbols` (all values must occur there). */
function ranks(values: Uint32Array, symbols: Uint32Array): Uint32Array {
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

/** A code for one section: the used symbols (ascending) and their code lengths. */
export interface SectionCode {
  readonly symbols: Uint32Array;
  /** Code length per symbol; 0 for the single symbol of a one-symbol alphabet. */
  readonly lengths: Uint8Array;
  /** True when stored as fixed-width raw values (more than {@link MAX_HUFFMAN_SYMBOLS} symbols). */
  readonly raw: boolean;
}

/** The effective length limit: never below ⌈log2(n)⌉ + 4, never above {@link MAX_CODE_LENGTH}. */
export function effectiveMaxLength(requested: number, n: number): number {
  const floor = n <= 1 ? 1 : Math.ceil(Math.log2(n)) + 4;
  return Math.min(MAX_CODE_LENGTH, Math.max(requested, floor));
}

/** Designs the code of one section from its alphabet. */
export function designSection(alpha: Alphabet, maxLen: number): SectionCode {
  const n = alpha.symbols.length;
  if (n > MAX_HUFFMAN_SYMBOLS) return { symbols: alpha.symbols, lengths: new Uint8Array(n), raw: true };
  return { symbols: alpha.symbols, lengths: huffmanCodeLengths(alpha.counts, effectiveMaxLength(maxLen, n)), raw: false };
}

function rawWidth(maxSym: number): number {
  let w = 1;
  while (2 ** w <= maxSym) w++;
  return w;
}

const zigzag = (d: number) => (d >= 0 ? 2 * d : -2 * d - 1);
const unzigzag = (z: number) => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Bits the dense and the sparse table layouts would take. */
function tableCosts(c: SectionCode): { dense: number; sparse: number } {
  const { symbols, lengths } = c;
  const n = symbols.length;
  const lo = symbols[0]!,
    hi = symbols[n - 1]!;
  let dense = expGolombBits(lo) + expGolombBits(hi - lo - (n - 1));
  let prev = 0,
    r = 0;
  for (let s = lo; s <= hi; s++) {
    const l = symbols[r] === s ? lengths[r++]! : 0;
    dense += expGolombBits(zigzag(l - prev));
    prev = l;
  }
  let sparse = 0,
    prevSym = -1;
  prev = 0;
  for (let i = 0; i < n; i++) {
    sparse += expGolombBits(symbols[i]! - prevSym - 1) + expGolombBits(zigzag(lengths[i]! - prev));
    prevSym = symbols[i]!;
    prev = lengths[i]!;
  }
  return { dense, sparse: sparse + expGolombBits(n - 2) };
}

/**
 * Writes a section's code table: Exp-Golomb(#symbols), then for one symbol its value, for a raw
 * section the width, otherwise one layout bit and the lengths either for every symbol of the
 * span [min, max] (0 = unused) or as (gap, length) pairs — whichever is shorter; lengths are
 * delta-coded (zig-zag Exp-Golomb) since neighbouring symbols have similar lengths.
 */
export function writeTable(out: BitOut, c: SectionCode): void {
  const n = c.symbols.length;
  out.expGolomb(n);
  if (n === 0) return;
  if (n === 1) {
    out.expGolomb(c.symbols[0]!);
    return;
  }
  out.write(c.raw ? 1 : 0, 1);
  if (c.raw) {
    out.expGolomb(c.symbols[n - 1]!);
    return;
  }
  const cost = tableCosts(c);
  const { symbols, lengths } = c;
  if (cost.dense <= cost.sparse) {
    out.write(0, 1);
    const lo = symbols[0]!,
      hi = symbols[n - 1]!;
    out.expGolomb(lo);
    out.expGolomb(hi - lo - (n - 1));
    let prev = 0,
      r = 0;
    for (let s = lo; s <= hi; s++) {
      const l = symbols[r] === s ? lengths[r++]! : 0;
      out.expGolomb(zigzag(l - prev));
      prev = l;
    }
  } else {
    out.write(1, 1);
    out.expGolomb(n - 2);
    let prevSym = -1,
      prev = 0;
    for (let i = 0; i < n; i++) {
      out.expGolomb(symbols[i]! - prevSym - 1);
      out.expGolomb(zigzag(lengths[i]! - prev));
      prevSym = symbols[i]!;
      prev = lengths[i]!;
    }
  }
}

/** Bits {@link writeTable} will write for `c`. */
export function tableBits(c: SectionCode): number {
  const n = c.symbols.length;
  if (n === 0) return 1;
  if (n === 1) return expGolombBits(1) + expGolombBits(c.symbols[0]!);
  if (c.raw) return expGolombBits(n) + 1 + expGolombBits(c.symbols[n - 1]!);
  const cost = tableCosts(c);
  return expGolombBits(n) + 2 + Math.min(cost.dense, cost.sparse);
}

function bad(what: string): never {
  throw new DecodeError(`huffman stream has ${what}. The stream is corrupted; re-encode it.`);
}

/**
 * Reads a table written by {@link writeTable}, validating everything: symbol counts against the
 * remaining bits before allocating, every symbol below `alphabetSize`, lengths within the
 * format's limit, and a complete code (Kraft sum exactly 1).
 */
export function readTable(inp: BitIn, alphabetSize: number, bitsLeft: () => number): SectionCode {
  const n = inp.expGolomb();
  if (n === 0) return { symbols: new Uint32Array(0), lengths: new Uint8Array(0), raw: false };
  if (n > alphabetSize) bad(`${n} symbols in a ${alphabetSize}-symbol alphabet`);
  if (n === 1) {
    const s = inp.expGolomb();
    if (s >= alphabetSize) bad(`symbol ${s} outside its ${alphabetSize}-symbol alphabet`);
    return { symbols: Uint32Array.of(s), lengths: new Uint8Array(1), raw: false };
  }
  if (inp.read(1) === 1) {
    const maxSym = inp.expGolomb();
    if (maxSym >= alphabetSize) bad(`symbol ${maxSym} outside its ${alphabetSize}-symbol alphabet`);
    return { symbols: Uint32Array.of(maxSym), lengths: new Uint8Array(1), raw: true };
  }
  if (n > MAX_HUFFMAN_SYMBOLS) bad(`${n} Huffman symbols (at most ${MAX_HUFFMAN_SYMBOLS})`);
  // Every table entry takes at least one bit: check before allocating.
  if (n > bitsLeft()) bad(`a table of ${n} symbols in ${bitsLeft()} remaining bits`);
  const symbols = new Uint32Array(n);
  const lengths = new Uint8Array(n);
  let k = 0;
  const readLen = (prev: number) => {
    const l = prev + unzigzag(inp.expGolomb());
    if (!(l >= 0 && l <= MAX_CODE_LENGTH)) bad(`a code length of ${l} bits`);
    return l;
  };
  if (inp.read(1) === 0) {
    const lo = inp.expGolomb();
    const span = inp.expGolomb() + n;
    if (lo + span > alphabetSize) bad(`symbols up to ${lo + span - 1} outside its ${alphabetSize}-symbol alphabet`);
    if (span > bitsLeft()) bad(`a table span of ${span} in ${bitsLeft()} remaining bits`);
    let prev = 0;
    for (let s = lo; s < lo + span; s++) {
      const l = readLen(prev);
      prev = l;
      if (l > 0) {
        if (k >= n) bad("more used symbols than declared");
        symbols[k] = s;
        lengths[k++] = l;
      }
    }
  } else {
    if (inp.expGolomb() !== n - 2) bad("an inconsistent symbol count");
    let prevSym = -1,
      prev = 0;
    for (let i = 0; i < n; i++) {
      const s = prevSym + 1 + inp.expGolomb();
      if (s >= alphabetSize) bad(`symbol ${s} outside its ${alphabetSize}-symbol alphabet`);
      const l = readLen(prev);
      if (l === 0) bad("a used symbol with a zero code length");
      symbols[k] = s;
      lengths[k++] = l;
      prevSym = s;
      prev = l;
    }
  }
  if (k !== n) bad(`${k} used symbols where ${n} were declared`);
  if (inp.overrun) bad("a truncated code table");
  if (!isCompleteCode(lengths)) bad("a code table that violates the Kraft equality");
  return { symbols, lengths, raw: false };
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
export function writeSymbols(out: BitOut, c: SectionCode, values: Uint32Array, alpha?: Alphabet): void {
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
