import { DecodeError } from "@quantforge/core";
import { BitIn, BitOut, expGolombBits } from "./bitio.js";
import { designSection, type Alphabet, type SectionCode } from "./huffman-impl.js";
import { payloadBits, readSymbols, writeSymbols } from "./huffman-symbols-impl.js";
import { readTable, tableBits, writeTable } from "./huffman-table-impl.js";

/** Largest escape threshold tried for gap coding. */
const MAX_ESCAPE_LOG2 = 16;

/** How the survivor positions of a sparse tensor are coded. */
export interface GapCode {
  /** Gaps g < escape are symbol g − 1; larger gaps are symbol escape − 1 followed by Exp-Golomb(g − escape). */
  readonly escape: number;
  readonly code: SectionCode;
  /** Symbol per survivor. */
  readonly symbols: Uint32Array;
  /** Total bits of the gap section (escape field, table, codes, escape payloads). */
  readonly bits: number;
}

/**
 * Chooses the gap code of strictly increasing `positions`: gaps between consecutive survivors
 * (the first measured from −1, so every gap ≥ 1) are Huffman-coded, as in Deep Compression,
 * with an escape for gaps ≥ E. E is the power of two (2 … 2^16), or the largest gap + 1, whose
 * complete section — table, codes and escape payloads — is shortest.
 */
export function designGaps(positions: Uint32Array, maxLen: number): GapCode {
  const n = positions.length;
  const gaps = new Float64Array(n);
  let prev = -1,
    maxGap = 1;
  for (let i = 0; i < n; i++) {
    const g = positions[i]! - prev;
    gaps[i] = g;
    prev = positions[i]!;
    if (g > maxGap) maxGap = g;
  }
  const histLen = Math.min(maxGap, 2 ** MAX_ESCAPE_LOG2) + 1;
  const hist = new Float64Array(histLen);
  for (let i = 0; i < n; i++) if (gaps[i]! < histLen) hist[gaps[i]!]!++;
  const candidates: number[] = [];
  for (let e = 1; e <= MAX_ESCAPE_LOG2 && 2 ** e <= maxGap; e++) candidates.push(2 ** e);
  if (maxGap + 1 <= 2 ** MAX_ESCAPE_LOG2) candidates.push(maxGap + 1);
  else candidates.push(2 ** MAX_ESCAPE_LOG2);
  let best: { escape: number; code: SectionCode; bits: number } | null = null;
  for (const E of candidates) {
    let used = 0,
      escapes = 0,
      extra = 0;
    for (let g = 1; g < Math.min(E, histLen); g++) if (hist[g]! > 0) used++;
    for (let i = 0; i < n; i++) {
      const g = gaps[i]!;
      if (g >= E) {
        escapes++;
        extra += expGolombBits(g - E);
      }
    }
    const symbols = new Uint32Array(used + (escapes > 0 ? 1 : 0));
    const counts = new Float64Array(symbols.length);
    let k = 0;
    for (let g = 1; g < Math.min(E, histLen); g++)
      if (hist[g]! > 0) {
        symbols[k] = g - 1;
        counts[k++] = hist[g]!;
      }
    if (escapes > 0) {
      symbols[k] = E - 1;
      counts[k] = escapes;
    }
    const alpha: Alphabet = { symbols, counts };
    const code = designSection(alpha, maxLen);
    const bits = expGolombBits(E - 1) + tableBits(code) + payloadBits(code, alpha) + extra;
    if (!best || bits < best.bits) best = { escape: E, code, bits };
  }
  const E = best!.escape;
  const symbols = new Uint32Array(n);
  for (let i = 0; i < n; i++) symbols[i] = gaps[i]! < E ? gaps[i]! - 1 : E - 1;
  return { escape: E, code: best!.code, symbols, bits: best!.bits };
}

/** Writes a gap section designed by {@link designGaps} for `positions`. */
export function writeGaps(out: BitOut, g: GapCode, positions: Uint32Array): void {
  out.expGolomb(g.escape - 1);
  writeTable(out, g.code);
  writeSymbols(out, g.code, g.symbols);
  let prev = -1;
  for (let i = 0; i < positions.length; i++) {
    const gap = positions[i]! - prev;
    prev = positions[i]!;
    if (gap >= g.escape) out.expGolomb(gap - g.escape);
  }
}

/**
 * Reads `count` survivor positions of a tensor of `total` elements. Positions come out strictly
 * increasing by construction (every gap ≥ 1); one past the tensor is a {@link DecodeError}.
 */
export function readGaps(inp: BitIn, count: number, total: number, bitsLeft: () => number): Uint32Array {
  const escape = inp.expGolomb() + 1;
  if (escape < 2 || escape > 2 ** MAX_ESCAPE_LOG2 + 1) throw new DecodeError(`huffman stream has a gap escape of ${escape}. The stream is corrupted; re-encode it.`);
  const code = readTable(inp, escape, bitsLeft);
  if (code.symbols.length > 1 && count > bitsLeft()) throw new DecodeError(`huffman stream declares ${count} positions in ${bitsLeft()} remaining bits. The stream is corrupted or truncated.`);
  const pos = new Uint32Array(count);
  readSymbols(inp, code, pos, count);
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const s = pos[i]!;
    const gap = s === escape - 1 ? escape + inp.expGolomb() : s + 1;
    prev += gap;
    if (prev >= total || inp.overrun) throw new DecodeError(`huffman stream has a survivor position past the tensor's ${total} elements. The stream is corrupted; re-encode it.`);
    pos[i] = prev;
  }
  return pos;
}
