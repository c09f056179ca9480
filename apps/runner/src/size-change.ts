/**
 * How `after` bytes compare with `before` bytes, for the one-line summaries: "4.00× smaller",
 * "1.01× larger", "the same size". A model whose weights were already stored as uint8, or whose
 * overhead outweighs the saving, comes out larger; "1.00× smaller" for a larger file was wrong.
 * `digits` decimals, as `fmt` prints them.
 */
export function sizeChange(before: number, after: number, digits = 2): string {
  if (!(before > 0) || !(after > 0)) return `${before} → ${after} bytes`;
  return ratioChange(before / after, digits);
}

/** {@link sizeChange} from a compression ratio (size before ÷ size after). */
export function ratioChange(ratio: number, digits = 2): string {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return `ratio ${ratio}`;
  if (ratio === 1) return "the same size";
  return ratio > 1 ? `${ratio.toFixed(digits)}× smaller` : `${(1 / ratio).toFixed(digits)}× larger`;
}
