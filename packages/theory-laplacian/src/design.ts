import { InvalidOptionsError } from "@quantforge/core";
import { brentRoot, normalizedDistortion, optimalityFunction } from "./laplace-impl.js";

/** Id used in error messages of this library. */
const THEORY_ID = "theory-laplacian";

/** Largest bit rate the theory functions accept (N = 2^24 levels). */
export const MAX_THEORY_BITS = 24;

/** Bit rates the bit-rate rule scans (R = 1…16, as in paper 000). */
export const RULE_MAX_BITS = 16;

/** How the support region x_max of the σ = 1 design is chosen (uniform-laplacian.md §3). */
export type DesignKind = "optimal" | "iterative";

/** Quantizer shape: the papers' midrise quantizer (default) or the midtread variant. */
export interface QuantizerShapeOptions {
  /** N odd, zero is a level, the central cell [−Δ/2, Δ/2] maps to 0. Default false (midrise). */
  readonly midtread?: boolean;
}

/** Exact MSE of a uniform quantizer for a zero-mean Laplacian source. */
export interface LaplacianDistortion {
  /** Granular distortion D_g (inputs inside ±x_max), in units of the input squared. */
  readonly granular: number;
  /** Overload distortion D_o (inputs beyond ±x_max). */
  readonly overload: number;
  /** D = D_g + D_o. */
  readonly total: number;
  /** 10·log10(σ²/D) in dB. */
  readonly sqnrDb: number;
}

function fail(field: string, problem: string): never {
  throw new InvalidOptionsError(THEORY_ID, field, problem);
}

function checkBits(bits: number, midtread: boolean): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_THEORY_BITS) fail("bits", `must be an integer in 1…${MAX_THEORY_BITS} (got ${bits})`);
  if (midtread && bits < 2) fail("bits", "must be at least 2 for a midtread design (N = 2^bits − 1 = 1 level has no support region to optimise)");
}

function checkSigma(sigma: number): void {
  if (!(Number.isFinite(sigma) && sigma > 0)) fail("sigma", `must be a finite number > 0 (got ${sigma})`);
}

/** Number of levels for a bit rate: 2^R (midrise) or 2^R − 1 (midtread, so it fits R bits). */
export function levelsFor(bits: number, opts: QuantizerShapeOptions = {}): number {
  const midtread = opts.midtread === true;
  checkBits(bits, midtread);
  return midtread ? 2 ** bits - 1 : 2 ** bits;
}

/**
 * Exact granular and overload distortion of the symmetric N-level uniform quantizer with support
 * ±`xMax` (step Δ = 2·x_max/N) for a zero-mean Laplacian source of standard deviation `sigma`
 * (uniform-laplacian.md §2): D_g = 2c(Δ)·(1 − q^(N/2))/(1 − q),
 * D_o = e^(−√2·x_max/σ)·(σ² + σΔ/√2 + Δ²/4), q = e^(−√2Δ/σ), evaluated without cancellation.
 * Midrise needs N even; midtread (`opts.midtread`) needs N odd.
 */
export function laplacianDistortion(N: number, xMax: number, sigma = 1, opts: QuantizerShapeOptions = {}): LaplacianDistortion {
  const midtread = opts.midtread === true;
  if (!Number.isInteger(N) || N < 1 || N > 2 ** MAX_THEORY_BITS) fail("levels", `must be an integer in 1…2^${MAX_THEORY_BITS} (got ${N})`);
  if (midtread ? N % 2 !== 1 : N % 2 !== 0) fail("levels", `must be ${midtread ? "odd for a midtread" : "even for a midrise"} quantizer (got ${N})`);
  if (!(Number.isFinite(xMax) && xMax > 0)) fail("xMax", `must be a finite number > 0 (got ${xMax})`);
  checkSigma(sigma);
  const u = (Math.SQRT2 * xMax) / sigma;
  const nd = normalizedDistortion(N, u, midtread);
  // D = σ²/2 · (a²·D); the SQNR is formed from the normalized values so it never under/overflows.
  const half = (sigma * sigma) / 2;
  const granular = half * nd.granular;
  const overload = half * nd.overload;
  return { granular, overload, total: granular + overload, sqnrDb: 10 * Math.log10(2 / (nd.granular + nd.overload)) };
}

/**
 * dD/dx_max of the N-level quantizer at fixed N (Δ = 2·x_max/N), for a Laplacian source of
 * standard deviation `sigma`, in a cancellation-free form (see `optimalityFunction`). Its root
 * is the MSE-optimal support region.
 */
export function laplacianDistortionSlope(N: number, xMax: number, sigma = 1, opts: QuantizerShapeOptions = {}): number {
  laplacianDistortion(N, xMax, sigma, opts); // validates the arguments
  const midtread = opts.midtread === true;
  const a = Math.SQRT2 / sigma;
  const u = a * xMax;
  const s = u / N; // half-step in units of 1/a
  const p = optimalityFunction(N, u, midtread);
  // dD/dΔ = −(2/a)·P (· e^(−s) midtread); dΔ/dx_max = 2/N.
  return (-(2 / a) * p * (midtread ? Math.exp(-s) : 1) * 2) / N;
}

const optimalCache = new Map<string, number>();
const iterativeCache = new Map<number, { readonly xMax: number; readonly iterations: number }>();

/** Empties the design caches (benchmarks use it to time cold design computations). */
export function clearDesignCache(): void {
  optimalCache.clear();
  iterativeCache.clear();
}

function solveOptimal(N: number, midtread: boolean): number {
  const f = (x: number): number => optimalityFunction(N, Math.SQRT2 * x, midtread);
  // P > 0 while the overload tail dominates (x_max too small), < 0 once the granular cells do.
  let lo = 0.25,
    hi = Math.SQRT2 * Math.log(N) + 2;
  while (f(lo) <= 0) lo /= 2;
  while (f(hi) >= 0) hi *= 2;
  return brentRoot(f, lo, hi, 1e-15);
}

/**
 * The MSE-optimal support region x_max of the σ = 1 design at `bits` (N = 2^bits midrise,
 * 2^bits − 1 midtread): the root of dD/dx_max = 0, found by Brent's method on the
 * cancellation-free derivative (spec §3; |error| ≲ 1e-13, checked against an 80-digit
 * reference). Cached per (bits, shape).
 */
export function optimalXMax(bits: number, opts: QuantizerShapeOptions = {}): number {
  const midtread = opts.midtread === true;
  checkBits(bits, midtread);
  const key = `${bits}:${midtread ? "t" : "r"}`;
  let x = optimalCache.get(key);
  if (x === undefined) {
    x = solveOptimal(midtread ? 2 ** bits - 1 : 2 ** bits, midtread);
    optimalCache.set(key, x);
  }
  return x;
}

/**
 * Paper 000's iterative rule (reconstructed, spec §3): from the high-resolution model
 * D ≈ Δ²/12 + e^(−√2·x_max), dD/dx_max = 0 gives x_max ← (1/√2)·ln(3N²/(√2·x_max)), started at
 * x_max = √2·ln N and iterated until two iterates agree to 1e-13 (relative). Midrise only.
 */
export function iterativeXMax(bits: number): { readonly xMax: number; readonly iterations: number } {
  checkBits(bits, false);
  const hit = iterativeCache.get(bits);
  if (hit) return hit;
  const N = 2 ** bits;
  const c = (3 * N * N) / Math.SQRT2;
  let x = Math.SQRT2 * Math.log(N);
  let iterations = 0;
  // The map's slope is −1/(√2·x) (|·| < 0.6 for N ≥ 2), so the iteration contracts.
  for (; iterations < 500;) {
    const next = Math.log(c / x) / Math.SQRT2;
    iterations++;
    const done = Math.abs(next - x) <= 1e-13 * Math.max(1, x);
    x = next;
    if (done) break;
  }
  const r = Object.freeze({ xMax: x, iterations });
  iterativeCache.set(bits, r);
  return r;
}

/** x_max of the σ = 1 design for a design kind (the iterative rule exists for midrise only). */
export function designXMax(bits: number, design: DesignKind, opts: QuantizerShapeOptions = {}): number {
  if (design === "iterative") {
    if (opts.midtread) fail("design", '"iterative" is defined for the midrise quantizer only; use "optimal" for midtread');
    return iterativeXMax(bits).xMax;
  }
  if (design !== "optimal") fail("design", `must be "optimal" or "iterative" (got ${String(design)})`);
  return optimalXMax(bits, opts);
}

/**
 * SQNR (dB) of the σ = 1 design of `bits` applied to a Laplacian source of standard deviation
 * `sigma` — variance mismatch (paper 000, spec §4): x_max and Δ stay at the design, the actual
 * σ enters D_g and D_o. `sigma = 1` gives the design SQNR.
 */
export function mismatchSqnrDb(bits: number, sigma: number, design: DesignKind = "optimal", opts: QuantizerShapeOptions = {}): number {
  checkSigma(sigma);
  return laplacianDistortion(levelsFor(bits, opts), designXMax(bits, design, opts), sigma, opts).sqnrDb;
}

/**
 * The granular (high-resolution, no overload) approximation of the mismatched SQNR:
 * 10·log10(3N²σ²/x_max²) = 6.02R + 4.77 − 20·log10 x_max(R) + 20·log10 σ (spec §4). Accurate for
 * σ ≤ 1; badly optimistic above the design variance, where overload dominates.
 */
export function granularApproxSqnrDb(bits: number, sigma: number, design: DesignKind = "optimal"): number {
  checkSigma(sigma);
  const N = levelsFor(bits);
  return 10 * Math.log10(3) + 20 * Math.log10(N) - 20 * Math.log10(designXMax(bits, design)) + 20 * Math.log10(sigma);
}

/** One row of {@link designTable}. Key order is the CLI's JSON contract. */
export interface DesignRow {
  readonly bits: number;
  /** 20·log10 σ of the source relative to the design σ = 1. */
  readonly sigmaDb: number;
  /** Support region of the σ = 1 design. */
  readonly xMax: number;
  /** Step Δ = 2·x_max/N of the σ = 1 design. */
  readonly step: number;
  /** Exact SQNR at σ. */
  readonly sqnrDb: number;
  /** D_g at σ (design units squared). */
  readonly granularDistortion: number;
  /** D_o at σ. */
  readonly overloadDistortion: number;
}

/** Input of {@link designTable}. */
export interface DesignTableOptions extends QuantizerShapeOptions {
  /** Bit rates (each in 1…24). */
  readonly bits: readonly number[];
  /** Source σ in dB relative to the design (default `[0]`: matched). */
  readonly sigmaDb?: readonly number[];
  readonly design: DesignKind;
}

/** The theory table: for every bits × sigmaDb, the design and its exact distortion at that σ. */
export function designTable(opts: DesignTableOptions): DesignRow[] {
  const sigmaDbs = opts.sigmaDb ?? [0];
  if (opts.bits.length === 0) fail("bits", "must list at least one bit rate");
  if (sigmaDbs.length === 0) fail("sigmaDb", "must list at least one value");
  const rows: DesignRow[] = [];
  for (const bits of opts.bits) {
    const N = levelsFor(bits, opts);
    const xMax = designXMax(bits, opts.design, opts);
    for (const sigmaDb of sigmaDbs) {
      if (!Number.isFinite(sigmaDb) || Math.abs(sigmaDb) > 600) fail("sigmaDb", `must be a finite number of dB in −600…600 (got ${sigmaDb})`);
      const d = laplacianDistortion(N, xMax, 10 ** (sigmaDb / 20), opts);
      rows.push({ bits, sigmaDb, xMax, step: (2 * xMax) / N, sqnrDb: d.sqnrDb, granularDistortion: d.granular, overloadDistortion: d.overload });
    }
  }
  return rows;
}

/** What the bit-rate rule recommends. */
export interface BitRecommendation {
  /** True when some R ≤ `maxBits` reaches the target. */
  readonly reachable: boolean;
  /** The smallest R whose exact SQNR reaches the target; when unreachable, the best R. */
  readonly bits: number;
  /** Exact (mismatched) SQNR at `bits`. */
  readonly sqnrDb: number;
  readonly targetSqnrDb: number;
  readonly sigma: number;
  readonly sigmaDb: number;
  readonly design: DesignKind;
  /** The pick of the granular approximation (no overload), for comparison; null if none ≤ maxBits. */
  readonly granularApproxBits: number | null;
  /** Exact SQNR of every scanned R. */
  readonly candidates: readonly { readonly bits: number; readonly sqnrDb: number }[];
}

/** Input of {@link recommendBits}. */
export interface RecommendBitsOptions {
  /** The weights' σ_w (RMS) relative to the design σ = 1. */
  readonly sigma: number;
  /** Target SQNR S in dB. */
  readonly targetSqnrDb: number;
  /** Design of x_max (default "optimal"). */
  readonly design?: DesignKind;
  /** Largest R scanned (default 16). */
  readonly maxBits?: number;
}

/**
 * The bit-rate rule (paper 000, reconstructed in spec §4): scan R = 1…maxBits and return the
 * smallest R whose exact mismatched SQNR (D_g + D_o at σ_w, σ = 1 design) reaches the target; if
 * none does, `reachable: false` with the R of the best SQNR.
 */
export function recommendBits(opts: RecommendBitsOptions): BitRecommendation {
  const { sigma, targetSqnrDb } = opts;
  const design = opts.design ?? "optimal";
  const maxBits = opts.maxBits ?? RULE_MAX_BITS;
  checkSigma(sigma);
  if (!Number.isFinite(targetSqnrDb)) fail("targetSqnrDb", `must be a finite number of dB (got ${targetSqnrDb})`);
  checkBits(maxBits, false);
  const candidates: { bits: number; sqnrDb: number }[] = [];
  let pick = -1,
    best = 0,
    approx: number | null = null;
  for (let bits = 1; bits <= maxBits; bits++) {
    const sqnrDb = mismatchSqnrDb(bits, sigma, design);
    candidates.push({ bits, sqnrDb });
    if (pick < 0 && sqnrDb >= targetSqnrDb) pick = bits;
    if (sqnrDb > candidates[best]!.sqnrDb) best = bits - 1;
    if (approx === null && granularApproxSqnrDb(bits, sigma, design) >= targetSqnrDb) approx = bits;
  }
  const chosen = pick > 0 ? candidates[pick - 1]! : candidates[best]!;
  return {
    reachable: pick > 0,
    bits: chosen.bits,
    sqnrDb: chosen.sqnrDb,
    targetSqnrDb,
    sigma,
    sigmaDb: 20 * Math.log10(sigma),
    design,
    granularApproxBits: approx,
    candidates,
  };
}
