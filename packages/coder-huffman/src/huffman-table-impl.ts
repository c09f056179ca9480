import { DecodeError } from "@quantforge/core";
import { BitIn, BitOut, expGolombBits } from "./bitio.js";
import { MAX_CODE_LENGTH, MAX_HUFFMAN_SYMBOLS, isCompleteCode, type SectionCode } from "./huffman-impl.js";

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

/** Throws the {@link DecodeError} every corrupted-stream check of the table and symbol readers raises. */
export function bad(what: string): never {
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
