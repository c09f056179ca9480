import type { CodeArray } from "@quantforge/core";
/** Symbols below this get tables indexed by the symbol value itself (at most 4 MiB of lengths). */
export const SYMBOL_TABLE_LIMIT = 1 << 22;

/** Code length of every symbol value up to the largest; 0 for values that are not symbols. */
export function symbolLengths(symbols: Uint32Array, lengths: Uint8Array): Uint8Array {
  const out = new Uint8Array(symbols.length ? symbols[symbols.length - 1]! + 1 : 0);
  for (let r = 0; r < symbols.length; r++) out[symbols[r]!] = lengths[r]!;
  return out;
}

/**
 * Bits the codes of `known` take under a Huffman table (its `symbols`, ascending, and their code
 * `lengths`) when every code is one of its symbols, else −1 (also for raw tables, fewer than two
 * symbols, or symbols past {@link SYMBOL_TABLE_LIMIT}: the caller decodes those in full).
 *
 * A canonical Huffman code is a prefix code, so a body written from `known` with this table
 * decodes to `known` exactly; what the round trip of a just-written stream still has to prove is
 * that the table stored in the stream codes every value and that the body's length matches.
 */
export function knownSymbolBits(symbols: Uint32Array, lengths: Uint8Array, raw: boolean, known: CodeArray): number {
  if (raw || symbols.length < 2 || symbols[symbols.length - 1]! >= SYMBOL_TABLE_LIMIT) return -1;
  return sumLengths(symbolLengths(symbols, lengths), known);
}

/**
 * {@link knownSymbolBits} of codes whose histogram is `alpha` (distinct values ascending, with
 * their counts): the same answer from one term per distinct value instead of one per code.
 */
export function knownAlphabetBits(symbols: Uint32Array, lengths: Uint8Array, raw: boolean, alpha: { readonly symbols: Uint32Array; readonly counts: Float64Array }): number {
  if (raw || symbols.length < 2 || symbols[symbols.length - 1]! >= SYMBOL_TABLE_LIMIT) return -1;
  const lens = symbolLengths(symbols, lengths);
  let total = 0;
  for (let r = 0; r < alpha.symbols.length; r++) {
    const v = alpha.symbols[r]!;
    const l = v < lens.length ? lens[v]! : 0;
    if (l === 0) return -1;
    total += alpha.counts[r]! * l;
  }
  return total;
}

/** Σ lengths[v] over `values`, or −1 when a value has no code (monomorphic, branch-free loop). */
function sumLengths(lengths: Uint8Array, values: CodeArray): number {
  const max = lengths.length - 1;
  let total = 0,
    bad = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const outside = v > max ? 1 : 0;
    const l = lengths[outside ? 0 : v]!;
    bad |= outside | (l === 0 ? 1 : 0);
    total += l;
  }
  return bad ? -1 : total;
}
