import { InvalidOptionsError } from "./errors.js";
import type { CodebookSpec } from "./lift.js";

/**
 * Shape of the uniform alphabet (method spec §2): `midtread` has an odd number of levels and 0 is
 * one of them; `midrise` has 2^b levels ±(i − ½)δ and no zero level.
 */
export type AlphabetKind = "midtread" | "midrise";

/**
 * A symmetric uniform scalar alphabet A = {(q − z)·δ : q = 0 … L − 1}, the one definition shared by
 * plain MSQ, preprocessed MSQ and GPFQ so that comparisons are fair.
 *
 * - `midtread` (default), b ≥ 2 bits: L = 2^b − 1 levels {−Kδ, …, 0, …, Kδ}, K = 2^(b−1) − 1, δ = c/K.
 * - `midrise`: L = 2^b levels ±(i − ½)δ, i = 1 … 2^(b−1), δ = c/(2^(b−1) − ½).
 * - 1 bit (either kind): {−c, c}.
 *
 * The scale c is not tuned: it is the largest weight magnitude of the layer ({@link layerScale}),
 * so every weight lies inside [−c, c] and therefore inside a cell of two neighbouring levels.
 * `levels` hold exactly the float32 values that core's dequantization of {@link alphabetCodebook}
 * produces, so "on the alphabet" means bit-exact equality with a decoded weight.
 */
export interface Alphabet {
  readonly kind: AlphabetKind;
  /** Bit width b (1–8). */
  readonly bits: number;
  /** Number of levels L. */
  readonly size: number;
  /** Affine zero point z = (L − 1)/2 (an integer for midtread, a half-integer for midrise). */
  readonly zeroPoint: number;
  /** The scale c the alphabet was built for (largest |level| ≥ c unless c overflows float32). */
  readonly scale: number;
  /** Step δ between neighbouring levels (a float32 value; 0 for an all-zero layer). */
  readonly step: number;
  /** The levels in ascending order, as exact float32 values. */
  readonly levels: Float64Array;
  /**
   * True when the levels are `fround((q − z)·δ)` with a float32 δ, i.e. an `affine` codebook
   * reproduces them exactly; false only when δ would overflow float32 (then a `levels` codebook).
   */
  readonly affine: boolean;
}

/** Smallest bit width the alphabet supports. */
export const MIN_ALPHABET_BITS = 1;
/** Largest bit width the alphabet supports. */
export const MAX_ALPHABET_BITS = 8;

/**
 * Below this scale the layer is treated as all-zero: a step of a few subnormals would make
 * neighbouring float32 levels collide, and weights that small carry no information anyway.
 */
const TINY_SCALE = 2 ** -120;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The next float32 above a non-negative float32 `x`. */
function nextUp32(x: number): number {
  f32[0] = x;
  u32[0] = u32[0]! + 1;
  return f32[0];
}

/** Number of levels L of a `bits`-bit alphabet of kind `kind`. */
export function alphabetSize(bits: number, kind: AlphabetKind): number {
  if (bits === 1) return 2;
  return kind === "midtread" ? 2 ** bits - 1 : 2 ** bits;
}

/**
 * The default, tuning-free scale rule: c = max|w| over the whole layer (kernel tensor). It puts
 * every weight inside the alphabet's range, which the vertex walk needs (each w_i must lie in a
 * cell of two neighbouring levels, spec §2).
 *
 * @param data - the layer's weights
 * @returns the largest magnitude (0 for an empty or all-zero tensor)
 */
export function layerScale(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Builds the uniform alphabet with `bits` bits, kind `kind` and scale `c`.
 *
 * δ is a float32 chosen as fround(c/z) and nudged up by ulps until the top level fround(z·δ)
 * reaches c, so the largest weight (c = max|w|) is inside the range after float32 rounding too.
 *
 * @param bits - 1 … 8
 * @param kind - `midtread` or `midrise` (identical at 1 bit: {−c, c})
 * @param c - non-negative finite scale; values below 2^−120 give the all-zero alphabet
 * @throws {InvalidOptionsError} for bits outside 1–8 or a negative / non-finite scale
 */
export function uniformAlphabet(bits: number, kind: AlphabetKind, c: number): Alphabet {
  if (!Number.isInteger(bits) || bits < MIN_ALPHABET_BITS || bits > MAX_ALPHABET_BITS) {
    throw new InvalidOptionsError("alphabet", "bits", `must be an integer in ${MIN_ALPHABET_BITS}–${MAX_ALPHABET_BITS} (got ${bits})`);
  }
  if (kind !== "midtread" && kind !== "midrise") throw new InvalidOptionsError("alphabet", "alphabet", `must be "midtread" or "midrise" (got ${String(kind)})`);
  if (!(c >= 0) || !Number.isFinite(c)) throw new InvalidOptionsError("alphabet", "scale", `must be a finite non-negative number (got ${c})`);
  const size = alphabetSize(bits, kind);
  const zp = (size - 1) / 2;
  const levels = new Float64Array(size);
  const scale = c < TINY_SCALE ? 0 : c;
  let step = 0;
  let affine = true;
  if (scale > 0) {
    step = Math.fround(scale / zp);
    for (let k = 0; k < 64 && Number.isFinite(step) && Math.fround(zp * step) < scale; k++) step = nextUp32(step);
    if (!Number.isFinite(step) || !Number.isFinite(Math.fround(zp * step))) {
      // δ overflows float32 (c close to the float32 maximum): keep exact levels in float64 δ.
      affine = false;
      step = scale / zp;
    }
  }
  for (let q = 0; q < size; q++) levels[q] = Math.fround((q - zp) * step);
  return Object.freeze({ kind, bits, size, zeroPoint: zp, scale, step, levels, affine });
}

/**
 * The alphabet of one layer: {@link uniformAlphabet} with c = {@link layerScale}(weights).
 *
 * @param weights - the layer's weights (the kernel tensor's data)
 */
export function alphabetForWeights(weights: ArrayLike<number>, bits: number, kind: AlphabetKind = "midtread"): Alphabet {
  return uniformAlphabet(bits, kind, layerScale(weights));
}

/**
 * The core codebook (without id) whose dequantization yields exactly `a.levels[q]` for code q:
 * `affine` with scale δ and zero point z (the compact form), or an explicit `levels` list when δ
 * is not a float32 number.
 */
export function alphabetCodebook(a: Alphabet): CodebookSpec {
  if (a.affine) {
    return { kind: "affine", levels: a.size, scale: Float32Array.of(a.step), zeroPoint: Float32Array.of(a.zeroPoint) };
  }
  return { kind: "levels", levels: Float32Array.from(a.levels) };
}

/**
 * Code of the level nearest to `v` (ties go to the lower level; values outside the range clamp).
 * O(1): the affine guess is corrected against the exact float32 levels.
 */
export function nearestCode(a: Alphabet, v: number): number {
  const lv = a.levels,
    last = a.size - 1;
  if (a.step === 0) return Math.round(a.zeroPoint);
  let q = Math.round(v / a.step + a.zeroPoint);
  if (!(q > 0))
    q = 0; // also maps NaN and −0 to code 0
  else if (q > last) q = last;
  while (q > 0 && Math.abs(v - lv[q - 1]!) <= Math.abs(v - lv[q]!)) q--;
  while (q < last && Math.abs(v - lv[q + 1]!) < Math.abs(v - lv[q]!)) q++;
  return q;
}

/**
 * Index of the largest level ≤ v (0 when v is below every level). O(1) like {@link nearestCode}.
 */
export function floorCode(a: Alphabet, v: number): number {
  const lv = a.levels,
    last = a.size - 1;
  if (a.step === 0) return v >= 0 ? last : 0;
  let q = Math.floor(v / a.step + a.zeroPoint);
  if (!(q > 0))
    q = 0; // also maps NaN and −0 to code 0
  else if (q > last) q = last;
  while (q > 0 && lv[q]! > v) q--;
  while (q < last && lv[q + 1]! <= v) q++;
  return q;
}

/**
 * Memoryless scalar quantization (MSQ) of `values` to the alphabet: `codes[offset + i·stride]`
 * gets the nearest code of `values[i]`; `out` (optional) the level itself.
 */
export function roundToAlphabet(a: Alphabet, values: ArrayLike<number>, codes: Uint32Array, out?: Float64Array | Float32Array): void {
  const lv = a.levels;
  for (let i = 0; i < values.length; i++) {
    const q = nearestCode(a, values[i]!);
    codes[i] = q;
    if (out) out[i] = lv[q]!;
  }
}

/** True when `v` equals one of the alphabet's levels exactly. */
export function isOnAlphabet(a: Alphabet, v: number): boolean {
  return a.levels[nearestCode(a, v)] === v;
}

/** Which interval each coordinate of the vertex walk may move in (spec §2). */
export type CellConstraint = "cell" | "box";

/**
 * Fills the per-coordinate bounds of the feasible set P: `cell` = the two neighbouring levels
 * around w_i (l_i = u_i = w_i when w_i is already a level), `box` = the whole range [−c, c]
 * (the paper's single-box variant). Values outside the range are clamped into it.
 */
export function fillCells(a: Alphabet, w: ArrayLike<number>, constraint: CellConstraint, lo: Float64Array, hi: Float64Array): void {
  const lv = a.levels,
    last = a.size - 1;
  const bottom = lv[0]!,
    top = lv[last]!;
  for (let i = 0; i < w.length; i++) {
    const v = w[i]!;
    if (constraint === "box") {
      lo[i] = bottom;
      hi[i] = top;
      continue;
    }
    if (v <= bottom) {
      lo[i] = hi[i] = bottom;
      continue;
    }
    if (v >= top) {
      lo[i] = hi[i] = top;
      continue;
    }
    const k = floorCode(a, v);
    lo[i] = lv[k]!;
    hi[i] = lv[k]! === v ? v : lv[k + 1]!;
  }
}
