import { InvalidOptionsError, Rng, dequantizeModel, throwIfAborted, type QuantizerPlugin } from "@quantforge/core";
import { createRunContext } from "@quantforge/core/host";
import { syntheticDenseProbe } from "@quantforge/quantizer-preprocessed-msq";
import type { PreprocessedMsqSlopeRow as SlopeRow, PreprocessedMsqSyntheticRow as SyntheticRow } from "@quantforge/report";

export type { SlopeRow, SyntheticRow };

/** A quantizer taking part in an experiment. */
export interface ExperimentMethod {
  /** Label in the results (e.g. `msq`, `preprocessed-msq`, `gpfq`). */
  readonly name: string;
  readonly plugin: QuantizerPlugin;
  /** Extra options; the experiment sets `bits`, `samples`, `alphabet` (and `target`) where the method has them. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Options of {@link runSyntheticExperiment}. */
export interface SyntheticExperimentOptions {
  readonly methods: readonly ExperimentMethod[];
  /** Calibration sample counts m. @default [16, 32, 64] */
  readonly ms?: readonly number[];
  /** Layer widths N0. @default [128, 256, 512, 1024, 2048, 4096] */
  readonly n0s?: readonly number[];
  /** Bit widths. @default [1, 2, 3, 4] */
  readonly bits?: readonly number[];
  /** Neurons (columns of W) per draw. @default 16 */
  readonly neurons?: number;
  /** Independent draws of (X, W) per point; errors are averaged over neurons × draws. @default 2 */
  readonly draws?: number;
  /** Rows of the fresh X used for the generalisation error. @default 256 */
  readonly freshRows?: number;
  /** Alphabet shape. @default "midtread" */
  readonly alphabet?: "midtread" | "midrise";
  /** Seed of every random draw. @default 0 */
  readonly seed?: number;
  /** Called after each (draw, m, N0) point. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * The method's own options plus those of the shared `settings` (bits, samples, alphabet, target)
 * that it accepts. Schemas are strict, and every option has a default, so the parsed defaults
 * list exactly the accepted keys.
 */
export function methodOptions(method: ExperimentMethod, settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const known = method.plugin.parseOptions({ ...method.options }) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...method.options };
  for (const [k, v] of Object.entries(settings)) if (k in known) out[k] = v;
  return out;
}

function gaussian(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** Per-neuron ‖X·d_o‖ for the columns d_o of a row-major `[n0, k]` matrix (X row-major `[rows, n0]`). */
function columnNorms(x: Float32Array, rows: number, n0: number, d: Float64Array, k: number, out: Float64Array): void {
  out.fill(0);
  const acc = new Float64Array(k);
  for (let s = 0; s < rows; s++) {
    acc.fill(0);
    const xo = s * n0;
    for (let i = 0; i < n0; i++) {
      const v = x[xo + i]!;
      const off = i * k;
      for (let o = 0; o < k; o++) acc[o] = acc[o]! + v * d[off + o]!;
    }
    for (let o = 0; o < k; o++) out[o] = out[o]! + acc[o]! * acc[o]!;
  }
  for (let o = 0; o < k; o++) out[o] = Math.sqrt(out[o]!);
}

/**
 * Seed 004's synthetic single-layer experiment (spec §5.1): X with i.i.d. N(0, 1) entries
 * (m × N0), Gaussian weights, and for every method × bits the relative error ‖X(w − q)‖/‖Xw‖ on
 * the calibration X and on a fresh X, averaged over neurons. Each method runs through its plugin
 * on a one-layer {@link syntheticDenseProbe} whose layer input is exactly X, so the numbers are
 * what the plugins produce. Deterministic for a given seed.
 *
 * @throws {InvalidOptionsError} when a list is empty or N0 < 2m (the method needs m ≤ ⌊N0/2⌋)
 */
export async function runSyntheticExperiment(opts: SyntheticExperimentOptions): Promise<SyntheticRow[]> {
  const ms = opts.ms ?? [16, 32, 64];
  const n0s = opts.n0s ?? [128, 256, 512, 1024, 2048, 4096];
  const bitsList = opts.bits ?? [1, 2, 3, 4];
  const neurons = opts.neurons ?? 16,
    draws = opts.draws ?? 2,
    freshRows = opts.freshRows ?? 256;
  const alphabet = opts.alphabet ?? "midtread";
  const seed = opts.seed ?? 0;
  for (const [name, list] of [
    ["ms", ms],
    ["n0s", n0s],
    ["bits", bitsList],
    ["methods", opts.methods],
  ] as const) {
    if (list.length === 0) throw new InvalidOptionsError("experiment preprocessed-msq", name, "must not be empty");
  }
  for (const m of ms)
    for (const n0 of n0s) {
      if (!(Number.isInteger(m) && m >= 1 && Number.isInteger(n0) && n0 >= 2 * m)) {
        throw new InvalidOptionsError("experiment preprocessed-msq", "n0s", `must be integers ≥ 2m (m = ${m}, N0 = ${n0})`);
      }
    }
  const sums = new Map<string, { train: number; fresh: number; count: number; method: string; bits: number; m: number; n0: number }>();
  const total = draws * ms.length * n0s.length;
  let done = 0;
  const root = new Rng(seed);
  for (let draw = 0; draw < draws; draw++) {
    for (const m of ms) {
      for (const n0 of n0s) {
        if (opts.signal) throwIfAborted({ signal: opts.signal });
        const rng = root.fork(`synthetic:${draw}:${m}:${n0}`);
        const x = gaussian(rng, m * n0);
        const kernel = gaussian(rng, n0 * neurons);
        const fresh = gaussian(rng, freshRows * n0);
        const probe = syntheticDenseProbe({ id: "synthetic", layers: [{ name: "layer", fanIn: n0, fanOut: neurons, kernel }], inputs: x, count: m, activation: "linear" });
        const w64 = Float64Array.from(kernel);
        const refTrain = new Float64Array(neurons),
          refFresh = new Float64Array(neurons);
        columnNorms(x, m, n0, w64, neurons, refTrain);
        columnNorms(fresh, freshRows, n0, w64, neurons, refFresh);
        const diff = new Float64Array(n0 * neurons);
        const eTrain = new Float64Array(neurons),
          eFresh = new Float64Array(neurons);
        for (const method of opts.methods) {
          for (const bits of bitsList) {
            const q = method.plugin.create(method.plugin.parseOptions(methodOptions(method, { bits, samples: m, alphabet })));
            const ctx = createRunContext({ seed, model: probe, signal: opts.signal });
            const qm = await q.quantize(probe.weights, ctx);
            const deq = dequantizeModel(qm, probe.weights)[0]!.data;
            for (let i = 0; i < diff.length; i++) diff[i] = kernel[i]! - deq[i]!;
            columnNorms(x, m, n0, diff, neurons, eTrain);
            columnNorms(fresh, freshRows, n0, diff, neurons, eFresh);
            const key = `${method.name}|${bits}|${m}|${n0}`;
            const s = sums.get(key) ?? { train: 0, fresh: 0, count: 0, method: method.name, bits, m, n0 };
            for (let o = 0; o < neurons; o++) {
              // A neuron with Xw = 0 has no relative error; it is left out of the mean.
              if (refTrain[o]! > 0 && refFresh[o]! > 0) {
                s.train += eTrain[o]! / refTrain[o]!;
                s.fresh += eFresh[o]! / refFresh[o]!;
                s.count++;
              }
            }
            sums.set(key, s);
          }
        }
        opts.onProgress?.(++done, total);
      }
    }
  }
  const rows: SyntheticRow[] = [];
  for (const s of sums.values()) {
    rows.push({ method: s.method, bits: s.bits, m: s.m, n0: s.n0, relErrorTrain: s.train / s.count, relErrorFresh: s.fresh / s.count, neurons: s.count, alphabet });
  }
  rows.sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0) || a.bits - b.bits || a.m - b.m || a.n0 - b.n0);
  return rows;
}
