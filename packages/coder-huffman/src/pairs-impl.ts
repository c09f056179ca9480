/** Values from which the Huffman body writer codes symbol pairs (below, building the pair table costs more than it saves). */
export const PAIR_MIN_VALUES = 1 << 16;

/**
 * Length and code of every pair of symbols (index a·S + b, S = lens.length): for up to 256
 * symbols whose codes are at most 12 bits, so a pair fits the 24 bits the hot loop can shift in.
 */
export function pairTable(lens: Uint8Array, codes: Uint32Array): { lens: Uint8Array; codes: Int32Array } | undefined {
  const S = lens.length;
  if (S > 256) return undefined;
  for (let a = 0; a < S; a++) if (lens[a]! > 12) return undefined;
  const pl = new Uint8Array(S * S),
    pc = new Int32Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++) {
      pl[a * S + b] = lens[a]! + lens[b]!;
      pc[a * S + b] = (codes[a]! << lens[b]!) | codes[b]!;
    }
  return { lens: pl, codes: pc };
}
