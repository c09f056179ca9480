import type { ModelProbe } from "./capabilities.js";
import { cellOutcome, type CellNormalizer, type CompareCellOutcome, type NormalizedSqnr } from "./compare-cell.js";
import { planCells, type CompareCellSpec, type CompareCoder, type CompareEvaluator, type CompareQuantizer, type PlannedCell } from "./compare-plan.js";
import { SILENT_PROGRESS, type ProgressReporter } from "./context.js";
import { AbortedError, InvalidOptionsError, TimeoutError, isQuantforgeError } from "./errors.js";
import { createHost, type PluginHost, type PluginLookup } from "./host.js";
import type { AnyPlugin, CoderPlugin, EvaluatorPlugin, QuantizerPlugin } from "./plugin.js";
import { runPipeline, type PipelineResult } from "./pipeline.js";
import { PluginRegistry } from "./registry.js";
import type { RunSummary } from "./report.js";
import type { TensorSelector } from "./selection.js";
import type { WeightSet } from "./tensor.js";

export type { CompareQuantizer } from "./compare-plan.js";

/** One cell: a quantizer with options at one bit rate (or sweep point), coded by one coder. */
export interface CompareCell {
  /** The series (chart line) the cell belongs to. */
  readonly label: string;
  readonly quantizer: string;
  /** Raw quantizer options of the cell (fixed, swept and `bits`). */
  readonly options: Record<string, unknown>;
  readonly bits: number | null;
  readonly coder: string;
  readonly status: "ok" | "failed";
  /** Why the cell failed: the error's stable code (`QF_TIMEOUT` for a timeout) and message. */
  readonly error?: { readonly code: string; readonly message: string };
  /** The run summary with every metric (ok cells). */
  readonly result?: RunSummary;
  /** Wall-clock time of the cell (not part of any comparison of results). */
  readonly seconds: number;
  /** Place of the cell in the plan ({@link planCompare}). */
  readonly index?: number;
  /** The values this cell varies (`{ bits: 4 }`, `{ step: 0.02 }`). */
  readonly sweep?: Record<string, unknown>;
  /** Raw options of the coder. */
  readonly coderOptions?: Record<string, unknown>;
  /** SHA-256 (hex) of the coded container; null when no coder ran (ok cells). */
  readonly codesSha256?: string | null;
  /** Per-tensor σ-normalised SQNR (ok cells, when {@link CompareOptions.normalize} is given). */
  readonly normalized?: NormalizedSqnr;
}

/** What a custom cell runner gets besides the cell. */
export interface CompareCellEnv {
  readonly seed: number;
  /** Aborted on a timeout or when the whole comparison is cancelled; stop work then. */
  readonly signal: AbortSignal;
  readonly progress: ProgressReporter;
}

/**
 * Runs one cell somewhere (in-process, in a child DI container, in a worker thread) and returns
 * its outcome; throwing marks the cell failed. Must be deterministic: same cell + seed ⇒ same
 * outcome.
 */
export type CompareCellRunner = (spec: CompareCellSpec, env: CompareCellEnv) => Promise<CompareCellOutcome>;

/** Options of {@link compare}. */
export interface CompareOptions {
  readonly weights?: WeightSet;
  readonly model?: ModelProbe;
  readonly quantizers: readonly (QuantizerPlugin | CompareQuantizer)[];
  /** Bit rates; each cell passes `bits` to the quantizer (quantizers with a `sweep` skip this axis). */
  readonly bits?: readonly number[];
  readonly coders: readonly (CoderPlugin | CompareCoder)[];
  readonly evaluators?: readonly (EvaluatorPlugin | CompareEvaluator)[];
  readonly select?: TensorSelector;
  readonly seed?: number;
  /** Cancels the comparison: no new cells start, cells in flight are dropped, finished ones kept. */
  readonly signal?: AbortSignal;
  /** Cells run at the same time (default 1). Results keep plan order whatever the value. */
  readonly concurrency?: number;
  /**
   * Per-cell time limit in milliseconds: a cell still running then is marked failed with
   * `QF_TIMEOUT` and its signal is aborted; a cell that blocks the thread and returns late is
   * failed the same way. Only a runner in another thread can stop a blocking plugin.
   */
  readonly timeoutMs?: number;
  /**
   * σ-normalised SQNR of each cell for the built-in runner (pass `normalizedSqnr` from
   * `@quantforge/metrics`); without it cells carry no `normalized`. A `runCell` hook returns its own.
   */
  readonly normalize?: CellNormalizer;
  /** Runs cells instead of the built-in in-process runner (worker threads, DI containers, …). */
  readonly runCell?: CompareCellRunner;
  /** Called when a cell starts. */
  readonly onStart?: (spec: CompareCellSpec, total: number) => void;
  /** Progress of a running cell (from the plugins' `ctx.progress`). */
  readonly onProgress?: (spec: CompareCellSpec, task: string, done: number, total: number) => void;
  /** Called after every finished cell with the number finished so far (progress, streaming output). */
  readonly onCell?: (cell: CompareCell, index: number, total: number) => void;
  /** Keeps each cell's full pipeline result (decoded weights, container bytes); built-in runner only. */
  readonly onResult?: (cell: CompareCell, result: PipelineResult) => void;
  /**
   * The registry plugins see in `create(options, host)` (built-in runner; each cell's host lists
   * its coder). Default: the quantizers, coders and evaluators given here (the first of each id).
   */
  readonly registry?: PluginLookup;
}

/** What {@link compare} returns. */
export interface CompareResult {
  /** Finished cells (ok or failed) in plan order. */
  readonly cells: readonly CompareCell[];
  /** Number of planned cells. */
  readonly total: number;
  /** True when the signal stopped the comparison before every cell finished. */
  readonly aborted: boolean;
}

function errorOf(e: unknown): { code: string; message: string } {
  const code = isQuantforgeError(e) ? e.code : "QF_INTERNAL";
  return { code, message: e instanceof Error ? e.message : String(e) };
}

function describe(spec: CompareCellSpec): string {
  const point = Object.entries(spec.sweep)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",");
  return `${spec.label}${point ? ` [${point}]` : ""} + ${spec.coder}`;
}

/** A registry of the descriptors a comparison was given (the first descriptor of each kind and id). */
function registryOf(planned: readonly PlannedCell[], evaluators: readonly { readonly plugin: EvaluatorPlugin }[]): PluginRegistry {
  const registry = new PluginRegistry();
  for (const p of [...planned.flatMap((c): AnyPlugin[] => [c.quantizer, c.coder]), ...evaluators.map((e) => e.plugin)]) {
    if (!registry.has(p.kind, p.id)) registry.add(p);
  }
  return registry;
}

function builtinRunner(o: CompareOptions, planned: readonly PlannedCell[], keep: Map<number, PipelineResult>): CompareCellRunner {
  const evaluators = (o.evaluators ?? []).map((e) => ("plugin" in e ? e : { plugin: e }));
  const registry = o.registry ?? registryOf(planned, evaluators);
  const hosts = new Map<string, PluginHost>();
  const hostFor = (coder: string): PluginHost => hosts.get(coder) ?? hosts.set(coder, createHost(registry, { coders: [coder] })).get(coder)!;
  return async (spec, env) => {
    const p = planned[spec.index]!;
    const r = await runPipeline({
      weights: o.weights,
      model: o.model,
      select: o.select,
      quantizer: { plugin: p.quantizer, options: spec.options },
      coder: { plugin: p.coder, options: spec.coderOptions },
      evaluators,
      options: { seed: env.seed, signal: env.signal, progress: env.progress },
      host: hostFor(p.coder.id),
    });
    if (o.onResult) keep.set(spec.index, r);
    return cellOutcome(r, o.normalize);
  };
}

/**
 * Puts every quantizer × bit rate (or sweep point) × coder on the same input with the same
 * evaluators and seed (see {@link planCompare} for the cells). A cell whose plugin throws or
 * exceeds `timeoutMs` is marked failed with its error and the comparison goes on; the signal
 * stops it and keeps the finished cells. With `runCell` the cells run wherever that puts them
 * (the CLI uses DI child containers and worker threads); otherwise in-process through
 * `runPipeline`.
 *
 * @throws {InvalidOptionsError} for an empty or duplicated plan entry, or no input without `runCell`.
 */
export async function compare(o: CompareOptions): Promise<CompareResult> {
  const planned = planCells(o);
  if (!o.runCell && !o.weights && !o.model) throw new InvalidOptionsError("compare", "weights", "is missing: pass weights or a model (or a runCell hook that loads them)");
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? 1));
  const keep = new Map<number, PipelineResult>();
  const run = o.runCell ?? builtinRunner(o, planned, keep);
  const seed = o.seed ?? 0;
  const total = planned.length;
  const finished: (CompareCell | undefined)[] = new Array<CompareCell | undefined>(total);
  let next = 0,
    done = 0;

  async function runOne(spec: CompareCellSpec): Promise<CompareCell | undefined> {
    const ac = new AbortController();
    const onParent = () => ac.abort(o.signal?.reason ?? new AbortedError());
    o.signal?.addEventListener("abort", onParent, { once: true });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the abort reason, unchanged, as fetch and timers reject
    const stopped = new Promise<never>((_, reject) => ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true }));
    stopped.catch(() => undefined);
    const timeoutError = () => new TimeoutError(`cell ${spec.index} (${describe(spec)})`, (o.timeoutMs ?? 0) / 1000);
    const timer = o.timeoutMs !== undefined ? setTimeout(() => ac.abort(timeoutError()), o.timeoutMs) : undefined;
    const progress: ProgressReporter = o.onProgress ? { update: (task, d, t) => o.onProgress!(spec, task, d, t) } : SILENT_PROGRESS;
    const base = { label: spec.label, quantizer: spec.quantizer, options: spec.options, bits: spec.bits, coder: spec.coder, index: spec.index, sweep: spec.sweep, coderOptions: spec.coderOptions };
    const t0 = performance.now();
    try {
      const work = Promise.resolve().then(() => run(spec, { seed, signal: ac.signal, progress }));
      work.catch(() => undefined);
      const out = await Promise.race([work, stopped]);
      const seconds = (performance.now() - t0) / 1000;
      // A plugin that blocked the thread past the limit returns before the timer can fire.
      if (o.timeoutMs !== undefined && seconds * 1000 > o.timeoutMs) return { ...base, status: "failed", error: errorOf(timeoutError()), seconds };
      const cell: CompareCell = { ...base, status: "ok", result: out.result, codesSha256: out.codesSha256, ...(out.normalized ? { normalized: out.normalized } : {}), seconds };
      const r = keep.get(spec.index);
      if (r) {
        keep.delete(spec.index);
        o.onResult?.(cell, r);
      }
      return cell;
    } catch (e) {
      // Cancelled from outside: the cell did not finish, so it is not reported.
      if (o.signal?.aborted) return undefined;
      return { ...base, status: "failed", error: errorOf(e), seconds: (performance.now() - t0) / 1000 };
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onParent);
    }
  }

  async function lane(): Promise<void> {
    while (next < total && !o.signal?.aborted) {
      const spec = planned[next++]!.spec;
      o.onStart?.(spec, total);
      const cell = await runOne(spec);
      if (!cell) continue;
      finished[spec.index] = cell;
      done++;
      o.onCell?.(cell, done, total);
    }
  }

  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  const cells = finished.filter((c): c is CompareCell => c !== undefined);
  return { cells, total, aborted: cells.length < total && Boolean(o.signal?.aborted) };
}
