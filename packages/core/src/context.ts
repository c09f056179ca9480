import { AbortedError } from "./errors.js";
import { DEPRECATED_OPTION_RULE } from "./option-aliases.js";
import type { ModelProbe } from "./capabilities.js";
import { Rng } from "./rng.js";

/** Severity of a diagnostic. */
export type Severity = "info" | "warning" | "error";

/** A problem that should not stop the run (a clipped outlier, a degenerate channel, …). */
export interface Diagnostic {
  readonly severity: Severity;
  /** Plugin id that reported it. */
  readonly source: string;
  /** Stable rule id, e.g. `zero-scale`. */
  readonly ruleId: string;
  readonly message: string;
  readonly tensor?: string;
}

/** Where diagnostics go; the runner shows them. */
export interface DiagnosticsSink {
  report(d: Diagnostic): void;
}

/** Progress of long work; the runner draws it on a TTY and ignores it otherwise. */
export interface ProgressReporter {
  /** `done` of `total` units of `task` are finished. */
  update(task: string, done: number, total: number): void;
}

/** Everything a plugin may use while it runs. */
export interface RunContext {
  readonly seed: number;
  /** Seeded generator for this run; use `rng.fork(label)` per consumer. */
  readonly rng: Rng;
  readonly diagnostics: DiagnosticsSink;
  readonly progress: ProgressReporter;
  readonly signal: AbortSignal;
  /** The model, when the input is a model rather than a bare weight file. */
  readonly model?: ModelProbe;
}

/**
 * A diagnostics sink that keeps everything in an array. A `deprecated-option` warning identical
 * to one already kept is dropped: it says the same thing however often a host or a per-tensor
 * step repeats it, and a run over 100 tensors should print it once.
 */
export class CollectingDiagnostics implements DiagnosticsSink {
  readonly items: Diagnostic[] = [];
  report(d: Diagnostic): void {
    if (d.ruleId === DEPRECATED_OPTION_RULE && this.items.some((x) => sameDiagnostic(x, d))) return;
    this.items.push(d);
  }
}

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return a.ruleId === b.ruleId && a.source === b.source && a.severity === b.severity && a.message === b.message && a.tensor === b.tensor;
}

/** A progress reporter that does nothing. */
export const SILENT_PROGRESS: ProgressReporter = Object.freeze({ update() {} });

/** Builds a run context; every field but the seed has a quiet default. */
export function createRunContext(
  opts: {
    seed?: number;
    diagnostics?: DiagnosticsSink;
    progress?: ProgressReporter;
    signal?: AbortSignal;
    model?: ModelProbe;
  } = {},
): RunContext {
  const seed = opts.seed ?? 0;
  return {
    seed,
    rng: new Rng(seed),
    diagnostics: opts.diagnostics ?? new CollectingDiagnostics(),
    progress: opts.progress ?? SILENT_PROGRESS,
    signal: opts.signal ?? new AbortController().signal,
    model: opts.model,
  };
}

/** Throws {@link AbortedError} when the run has been cancelled. Call it between units of work. */
export function throwIfAborted(ctx: Pick<RunContext, "signal">): void {
  if (ctx.signal.aborted) throw new AbortedError();
}
