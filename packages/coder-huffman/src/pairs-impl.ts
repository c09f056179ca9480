/** Values from which the Huffman body writer codes symbol pairs or triples (below, building the table costs more than it saves). */
export const PAIR_MIN_VALUES = 1 << 16;

/** Concatenated codes of every k-tuple of symbols (index (a·S + b)·S + c, S = lens.length). */
export interface TupleTable {
  /** Symbols per entry: 2 or 3. */
  readonly k: 2 | 3;
  readonly lens: Uint8Array;
  readonly codes: Int32Array;
}

/**
 * Length and code of every triple of symbols (up to 16 symbols whose codes are at most 8 bits:
 * 4096 entries) or else every pair (up to 256 symbols, codes at most 12 bits), so one entry fits
 * the 24 bits the writer shifts in at once; undefined when neither applies.
 */
export function tupleTable(lens: Uint8Array, codes: Uint32Array): TupleTable | undefined {
  const S = lens.length;
  let longest = 0;
  for (let a = 0; a < S; a++) longest = Math.max(longest, lens[a]!);
  if (S <= 16 && longest <= 8) {
    const tl = new Uint8Array(S * S * S),
      tc = new Int32Array(S * S * S);
    for (let a = 0; a < S; a++)
      for (let b = 0; b < S; b++)
        for (let c = 0; c < S; c++) {
          const k = (a * S + b) * S + c;
          tl[k] = lens[a]! + lens[b]! + lens[c]!;
          tc[k] = (((codes[a]! << lens[b]!) | codes[b]!) << lens[c]!) | codes[c]!;
        }
    return { k: 3, lens: tl, codes: tc };
  }
  if (S > 256 || longest > 12) return undefined;
  const pl = new Uint8Array(S * S),
    pc = new Int32Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++) {
      pl[a * S + b] = lens[a]! + lens[b]!;
      pc[a * S + b] = (codes[a]! << lens[b]!) | codes[b]!;
    }
  return { k: 2, lens: pl, codes: pc };
}
