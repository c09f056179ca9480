/**
 * Error statistics of a decoded tensor against its original, and the SQNR formed from them.
 * Sums are float64 (float32 sums of 10^6 squares lose 3–4 significant digits; float64 keeps the
 * SQNR exact to far below 0.01 dB); w − ŵ of two float32 values is exact in float64.
 */

/** A tensor's codes in any width: core's `CodeArray` (metrics does not depend on core). */
type CodeArray = Uint8Array | Uint16Array | Uint32Array;

/** A metric value, or null with the reason it is undefined (never ±Infinity, which JSON drops). */
export interface MaybeValue {
  readonly value: number | null;
  readonly reason?: string;
}

/** Sums of one comparison of original weights w with decoded weights ŵ (float64). */
export interface ErrorStats {
  /** Number of compared elements. */
  count: number;
  /** Σ w² (signal power × count). */
  signal: number;
  /** Σ (w − ŵ)² (noise power × count). */
  noise: number;
  /** max |w − ŵ|. */
  maxAbs: number;
}

/** Fresh, empty statistics. */
export function emptyStats(): ErrorStats {
  return { count: 0, signal: 0, noise: 0, maxAbs: 0 };
}

/**
 * Adds the comparison of `original` with `decoded` (same length) to `into` and returns `into`.
 * One pass, no allocation.
 */
export function accumulateStats(into: ErrorStats, original: Float32Array, decoded: Float32Array): ErrorStats {
  return endStats(into, accumulateStatsRange(startStats(into), original, decoded, 0, original.length), original.length);
}

/** The running sums of one {@link accumulateStats} pass, carried from range to range. */
export interface StatsRun {
  signal: number;
  noise: number;
  maxAbs: number;
}

/** The sums a pass adding to `into` starts from: {@link accumulateStatsRange} them, then {@link endStats}. */
export function startStats(into: Readonly<ErrorStats>): StatsRun {
  return { signal: 0, noise: 0, maxAbs: into.maxAbs };
}

/**
 * Continues `run` over elements `[start, end)`: ranges taken in order give exactly the sums of
 * one pass (the same additions in the same order), so a caller may interleave them with the
 * pass that writes `decoded` (issue 18). Returns `run`.
 */
export function accumulateStatsRange(run: StatsRun, original: Float32Array, decoded: Float32Array, start: number, end: number): StatsRun {
  let signal = run.signal,
    noise = run.noise,
    maxAbs = run.maxAbs;
  for (let i = start; i < end; i++) {
    const w = original[i]!;
    const e = w - decoded[i]!;
    signal += w * w;
    noise += e * e;
    // Branch-free: the sign of e is a coin flip, and a `e < 0 ? -e : e` branch mispredicted
    // half the time (4× slower). Same value: Math.abs never yields −0 and no e is NaN.
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  run.signal = signal;
  run.noise = noise;
  run.maxAbs = maxAbs;
  return run;
}

/**
 * {@link accumulateStatsRange} of `original` against decoded values read from a table of every
 * code's value, ŵᵢ = `table[codes[i]]` (core's `codeValueTable`), over `[start, end)`: the same
 * additions in the same order, so the same sums to the bit, without writing the decoded values
 * anywhere (issue 18: one pass over the codes and the original instead of dequantize-then-sum,
 * 3.3 → 2.2 ns per weight). Stops before the first code without a table entry and returns its
 * index (`end` when every code had one); `run` then holds the sums of `[start, returned)`.
 */
export function accumulateStatsCoded(run: StatsRun, original: Float32Array, codes: CodeArray, table: Float32Array, start: number, end: number): number {
  const stop = codedSums(run.signal, run.noise, run.maxAbs, original, codes, table, start, end);
  run.signal = codedSignal;
  run.noise = codedNoise;
  run.maxAbs = codedMax;
  return stop;
}

/** The sums {@link codedSums} ended with (module slots: see there). */
let codedSignal = 0,
  codedNoise = 0,
  codedMax = 0;

/**
 * The loop of {@link accumulateStatsCoded}. Its results go to module slots, not to an object or
 * array: a store first reached after the loop's on-stack replacement has no type feedback, and
 * V8 left the optimized code at it on every call (260 deoptimizations a run, the first tensor
 * of each thread summed ~2× slower).
 *
 * The loop itself has no per-code range check: a `q >= size` exit in it cost 2.5× (7.1 → 2.8 ns
 * per weight on 16M byte codes, one thread; issue 18's session-15 note). A code without a table
 * entry reads `undefined`, whose NaN reaches the noise sum (a NaN in `original` does too), so only
 * a NaN noise looks for a code outside the table ({@link firstOutside}) and, when there is one,
 * sums the range before it again: the same additions as a loop that stopped there.
 */
function codedSums(signal0: number, noise0: number, maxAbs0: number, original: Float32Array, codes: CodeArray, table: Float32Array, start: number, end: number): number {
  if (sumsOver(signal0, noise0, maxAbs0, original, codes, table, start, end)) return end;
  const stop = firstOutside(codes, table.length, start, end);
  if (stop !== end) sumsOver(signal0, noise0, maxAbs0, original, codes, table, start, stop);
  return stop;
}

/**
 * Σw², Σ(w − table[q])² and max |w − table[q]| over `[start, end)` into the module slots; false
 * when the noise sum came out NaN (a code outside the table, or a NaN weight).
 */
function sumsOver(signal0: number, noise0: number, maxAbs0: number, original: Float32Array, codes: CodeArray, table: Float32Array, start: number, end: number): boolean {
  // Unary + makes the running sums float64 from the start: a sum that enters as the integer 0
  // was kept boxed through the loop, a heap number per addition (3× slower).
  let signal = +signal0,
    noise = +noise0,
    maxAbs = +maxAbs0;
  for (let i = start; i < end; i++) {
    const w = original[i]!;
    const e = w - table[codes[i]!]!;
    signal += w * w;
    noise += e * e;
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  codedSignal = signal;
  codedNoise = noise;
  codedMax = maxAbs;
  return noise === noise;
}

/** Index of the first code in `[start, end)` that is not below `size`, or `end`. */
function firstOutside(codes: CodeArray, size: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (codes[i]! >= size) return i;
  return end;
}

/** Adds a finished pass over `count` elements to `into` and returns `into`. */
export function endStats(into: ErrorStats, run: Readonly<StatsRun>, count: number): ErrorStats {
  into.count += count;
  into.signal += run.signal;
  into.noise += run.noise;
  into.maxAbs = run.maxAbs;
  return into;
}

/** Adds `b` to `a` (pooling per-tensor statistics into overall ones) and returns `a`. */
export function mergeStats(a: ErrorStats, b: ErrorStats): ErrorStats {
  a.count += b.count;
  a.signal += b.signal;
  a.noise += b.noise;
  if (b.maxAbs > a.maxAbs) a.maxAbs = b.maxAbs;
  return a;
}

/** Mean squared error Σ(w − ŵ)²/n, or null for no elements. */
export function meanSquaredError(s: Readonly<ErrorStats>): number | null {
  return s.count > 0 ? s.noise / s.count : null;
}

/** The one SQNR formula: 10·log10(signal / noise), both > 0. */
function powerRatioDb(signal: number, noise: number): number {
  return 10 * Math.log10(signal / noise);
}

/**
 * SQNR in dB, 10·log10(Σw² / Σ(w − ŵ)²), or null with the reason it is undefined:
 * "empty tensor", "exact reconstruction" (no noise: the ratio would be +∞, which JSON cannot
 * carry; also flagged `exact: true`) or "zero signal power" (the ratio would be −∞ dB).
 */
export function sqnrDb(s: Readonly<ErrorStats>): { value: number | null; reason?: string; exact?: true } {
  if (s.count === 0) return { value: null, reason: "empty tensor" };
  if (s.noise === 0) return { value: null, reason: "exact reconstruction", exact: true };
  if (s.signal === 0) return { value: null, reason: "zero signal power" };
  return { value: powerRatioDb(s.signal, s.noise) };
}

/**
 * SQNR in dB of a decoded tensor against its original: 10·log10(Σw²/Σ(w − ŵ)²). No noise (an
 * empty tensor included) gives null "exact reconstruction", zero signal power null "zero signal
 * power" (never ±Infinity). Unlike {@link sqnrDb} it carries no `exact` flag.
 */
export function tensorSqnrDb(original: Float32Array, decoded: Float32Array): MaybeValue {
  const s = accumulateStats(emptyStats(), original, decoded);
  if (s.noise === 0) return { value: null, reason: "exact reconstruction" };
  if (s.signal === 0) return { value: null, reason: "zero signal power" };
  return { value: powerRatioDb(s.signal, s.noise) };
}

/**
 * SQNR in dB of already pooled sums, or null when either is not positive (no signal or no
 * noise). For callers that keep Σw² and Σ(w − ŵ)² themselves.
 */
export function sqnrOfSumsDb(signal: number, noise: number): number | null {
  return signal > 0 && noise > 0 ? powerRatioDb(signal, noise) : null;
}
