/**
 * What a caller may already know of a tensor's codes when it asks a coder for them: a coder may
 * take it instead of computing it (Huffman's symbol counts; issue 18: the workers count every
 * tensor's codes for the size evaluator anyway, and the round trip counted them a third time).
 */
export interface CodeFacts {
  /** `codeHistogram([codes], cap)` of `./format` for some cap above its last bin (dense counts of every value 0…max). */
  readonly histogram?: Float64Array;
}
