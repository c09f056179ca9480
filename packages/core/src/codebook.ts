/**
 * Codebooks say what integer codes stand for. They are a tagged union stored once per model and
 * referenced by id, so one codebook can serve every layer (joint k-means) and per-channel
 * parameters stay small parameter arrays instead of per-channel level lists (design §2).
 *
 * Every kind has exactly one float32 dequantization expression (see `codebook-impl.ts`), so
 * decoding anywhere reproduces bit-exactly the weights that were evaluated.
 */

/** An explicit list of levels: code `q` stands for `levels[q]` (k-means, ECSQ). */
export interface LevelsCodebook {
  readonly kind: "levels";
  readonly id: string;
  /** Reconstruction levels, indexed by code. Any order; duplicates allowed but wasteful. */
  readonly levels: Float32Array;
}

/**
 * An affine grid: code `q` of group `g` stands for `fround((q − zeroPoint[g]) · scale[g])`.
 * `scale`/`zeroPoint` hold one entry per group of the referencing tensor, or a single entry
 * shared by all groups.
 */
export interface AffineCodebook {
  readonly kind: "affine";
  readonly id: string;
  /** Number of codes, 2^bits for a b-bit grid (codes are 0 … levels−1). */
  readonly levels: number;
  /** Step per group (float32). */
  readonly scale: Float32Array;
  /** Zero point per group (float32; integral when 0 must be exactly a level). */
  readonly zeroPoint: Float32Array;
}

/**
 * A symmetric uniform design for a unit-variance source (the Laplacian designs of seeds
 * 000–002), mapped per group by `μ + σ·level`. With N levels and support x_max the step is
 * Δ = fround(2·x_max/N). Midrise (the papers' quantizer): levels (q − N/2 + ½)·Δ, no zero level.
 * Midtread: N odd, levels (q − (N−1)/2)·Δ, 0 is a level.
 */
export interface GridCodebook {
  readonly kind: "grid";
  readonly id: string;
  /** Number of levels N (2^R midrise, 2^R − 1 midtread). */
  readonly levels: number;
  /** Support region threshold x_max of the σ = 1 design (float32 value). */
  readonly xMax: number;
  /** Midtread (zero is a level) instead of the papers' midrise. */
  readonly midtread: boolean;
  /** Scale per group (RMS or standard deviation of the group; float32). */
  readonly sigma: Float32Array;
  /** Offset per group (0 unless the mode removes the mean; float32). */
  readonly mu: Float32Array;
  /** Optional: how σ was obtained, for theory (e.g. "rms", "std", "design"). */
  readonly sigmaSource?: string;
}

/**
 * One shared level list times a per-group scale (NF4/FP4, Dettmers et al. 2023 "QLoRA"): code `q`
 * of group `g` stands for `fround(levels[q] · scale[g])`. The scales (absmax per group, ≥ 0) are
 * stored as float16 when every one is a float16 value, else as float32; with `scaleCodes` (double
 * quantization) as 8-bit codes per group plus one float32 step per block of groups.
 */
export interface ScaledLevelsCodebook {
  readonly kind: "scaledLevels";
  readonly id: string;
  /** Shared levels indexed by code (e.g. the 16 NormalFloat-4 values in [−1, 1]). */
  readonly levels: Float32Array;
  /** Scale per group (or one shared), finite and ≥ 0: the values dequantization uses. */
  readonly scale: Float32Array;
  /**
   * Optional double quantization of the scales: scale[g] = fround(offset + fround((codes[g] − 128)·step[⌊g/blockSize⌋])).
   * The container stores this form only when it reproduces `scale` exactly (else the scales themselves).
   */
  readonly scaleCodes?: ScaleCodes;
}

/** 8-bit double quantization of per-group scales (see {@link ScaledLevelsCodebook.scaleCodes}). */
export interface ScaleCodes {
  readonly codes: Uint8Array;
  readonly blockSize: number;
  readonly step: Float32Array;
  readonly offset: number;
}

/** The scale value a double-quantized scale code stands for (the format's definition). */
export function dequantizeScaleCode(sc: ScaleCodes, g: number): number {
  return Math.fround(sc.offset + Math.fround((sc.codes[g]! - 128) * sc.step[Math.floor(g / sc.blockSize)]!));
}

/** Any codebook. */
export type Codebook = LevelsCodebook | AffineCodebook | GridCodebook | ScaledLevelsCodebook;

/** Kind tag of a codebook. */
export type CodebookKind = Codebook["kind"];

/** Number of distinct codes a codebook defines (codes are `0 … size−1`). */
export function codebookSize(cb: Codebook): number {
  return cb.kind === "levels" || cb.kind === "scaledLevels" ? cb.levels.length : cb.levels;
}

/** Number of per-group parameter entries a codebook carries (1 for `levels`). */
export function codebookGroupParams(cb: Codebook): number {
  if (cb.kind === "affine" || cb.kind === "scaledLevels") return cb.scale.length;
  if (cb.kind === "grid") return cb.sigma.length;
  return 1;
}

/** The grid step Δ of the σ = 1 design: fround(2·x_max/N). */
export function gridStep(cb: Pick<GridCodebook, "xMax" | "levels">): number {
  return Math.fround((2 * cb.xMax) / cb.levels);
}
