/** Values from which the Huffman body writer codes symbol pairs or triples (below, building the table costs more than it saves). */
export const PAIR_MIN_VALUES = 1 << 16;

/**
 * Concatenated codes of every k-tuple of symbols (index (a·S + b)·S + c, S = lens.length). An
 * entry longer than {@link TUPLE_MAX_BITS} has length 0: the writer codes its first symbol alone
 * and goes on from the next (no used tuple is empty: every used symbol has a code of ≥ 1 bit).
 */
export interface TupleTable {
  /** Symbols per entry: 2 or 3. */
  readonly k: 2 | 3;
  readonly lens: Uint8Array;
  readonly codes: Int32Array;
}

/** The longest entry: what the writer shifts into its 32-bit word at once (a spill keeps fewer than this many bits). */
export const TUPLE_MAX_BITS = 24;

/**
 * Length and code of every triple of symbols (up to 16 symbols: 4096 entries) or else every
 * pair (up to 256 symbols: 65,536 entries); undefined for larger alphabets. Tuples longer than
 * {@link TUPLE_MAX_BITS} are marked length 0. Before issue 18's follow-up the table was dropped
 * whenever any code was longer than 8 (triples) or 12 bits (pairs): an 8-bit Laplacian tensor
 * has rare codes of up to 24 bits, so it was coded one symbol per step (82 ms for 16.8M symbols).
 */
export function tupleTable(lens: Uint8Array, codes: Uint32Array): TupleTable | undefined {
  const S = lens.length;
  if (S <= 16) {
    const tl = new Uint8Array(S * S * S),
      tc = new Int32Array(S * S * S);
    for (let a = 0; a < S; a++)
      for (let b = 0; b < S; b++)
        for (let c = 0; c < S; c++) {
          const k = (a * S + b) * S + c,
            l = lens[a]! + lens[b]! + lens[c]!;
          if (l > TUPLE_MAX_BITS) continue;
          tl[k] = l;
          tc[k] = (((codes[a]! << lens[b]!) | codes[b]!) << lens[c]!) | codes[c]!;
        }
    return { k: 3, lens: tl, codes: tc };
  }
  if (S > 256) return undefined;
  const pl = new Uint8Array(S * S),
    pc = new Int32Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++) {
      const l = lens[a]! + lens[b]!;
      if (l > TUPLE_MAX_BITS) continue;
      pl[a * S + b] = l;
      pc[a * S + b] = (codes[a]! << lens[b]!) | codes[b]!;
    }
  return { k: 2, lens: pl, codes: pc };
}
