import { requireCapabilities, type ModelProbe } from "./capabilities.js";
import { CollectingDiagnostics, createRunContext, throwIfAborted, type Diagnostic, type DiagnosticsSink, type ProgressReporter, type RunContext } from "./context.js";
import { decodeEncodedContainer, encodeContainer, type EncodedModel } from "./container.js";
import { dequantizeModelAhead } from "./dequantize.js";
import { InvalidQuantizedError } from "./errors.js";
import { warnDeprecatedOptions } from "./option-aliases.js";
import type { PluginHost } from "./host.js";
import type { AnyPlugin, Coder, CoderPlugin, EvaluationSubject, Evaluator, EvaluatorPlugin, Metric, Quantizer, QuantizerPlugin } from "./plugin.js";
import type { CodeArray, QuantizedModel } from "./quantized.js";
import { standaloneHost } from "./registry.js";
import { assertSomethingToQuantize, defaultSelector, tallySelection, type TensorSelector } from "./selection.js";
import { assertFinite, assertWeightSet, type WeightSet, type WeightTensor } from "./tensor.js";
import { precodedCoder, type TensorWorkers, type WorkerQuantization } from "./tensor-workers.js";
import type { AheadFacts, ErrorStatsAhead } from "./ahead-facts.js";
import { checkQuantizedModel, type KnownMaxCodes } from "./validate.js";
import { assertSameCodes, roundTripCoder } from "./round-trip.js";

export { sameTensorCodes } from "./round-trip.js";

/**
 * `back` (decoded from the container) with each tensor's codes and positions arrays replaced by
 * those of the same tensor of `coded`, which {@link assertSameCodes} found equal value for value:
 * what other threads computed ahead from the coded arrays (dequantized values, facts; keyed by
 * array) then applies to the decoded model too. A coder that decodes in full returns new arrays,
 * and the pipeline dequantized, summed and counted every tensor again on this thread (issue 18:
 * ~0.5 s of 4 s for rANS on 50M weights).
 */
function withCodedArrays(back: QuantizedModel, coded: QuantizedModel): QuantizedModel {
  const tensors = back.tensors.map((u, i) => {
    const t = coded.tensors[i]!;
    if (u.codes === t.codes && u.sparse?.positions === t.sparse?.positions) return u;
    return { ...u, codes: t.codes, ...(u.sparse && t.sparse ? { sparse: { ...u.sparse, positions: t.sparse.positions } } : {}) };
  });
  return { ...back, tensors };
}

/** Options of one pipeline run. */
export interface PipelineOptions {
  /** Seed of every random choice (default 0). */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
  /** Extra metadata stored in the container header (must be deterministic). */
  readonly metadata?: Record<string, unknown>;
  /** Run even when the selection picks no tensor (else `QF_NOTHING_TO_QUANTIZE`). */
  readonly allowEmpty?: boolean;
  /**
   * Other threads for per-tensor quantizers (and their streams); results are checked like the
   * quantizer's own and are bit-identical to quantizing on this thread.
   */
  readonly workers?: TensorWorkers;
}

/** Everything one run produced. */
export interface PipelineResult {
  readonly seed: number;
  readonly quantizer: { readonly id: string; readonly options: unknown };
  readonly coder: { readonly id: string } | null;
  readonly original: WeightSet;
  readonly decoded: WeightSet;
  readonly quantizedNames: ReadonlySet<string>;
  /** The quantized model as decoded from the coded bytes (or as quantized, without a coder). */
  readonly quantized: QuantizedModel;
  /** The coded container and its sizes (when a coder ran). */
  readonly encoded?: EncodedModel;
  readonly metrics: readonly Metric[];
  readonly diagnostics: readonly Diagnostic[];
}

type Resolvable<P extends AnyPlugin, T> = T | P | { readonly plugin: P; readonly options?: unknown };

/**
 * The facts handed to evaluators: the workers' own, and their error sums by decoded tensor for
 * each decoded tensor whose inputs equal one the workers quantized (`sources`).
 */
function aheadFacts(ahead: WorkerQuantization | undefined, sources: ReadonlyMap<WeightTensor, CodeArray>): AheadFacts | undefined {
  if (!ahead?.errorStats) return ahead?.facts;
  const tensorErrorStats = new Map<WeightTensor, ErrorStatsAhead>();
  for (const [d, codes] of sources) {
    const s = ahead.errorStats.get(codes);
    if (s) tensorErrorStats.set(d, s);
  }
  return { ...ahead.facts, tensorErrorStats };
}

/** The descriptor behind a {@link Resolvable}, if it is one. */
function descriptorOf(x: unknown): AnyPlugin | undefined {
  const o = x as { plugin?: AnyPlugin; create?: unknown; parseOptions?: unknown } | undefined;
  if (o && typeof o === "object" && "plugin" in o && o.plugin) return o.plugin;
  if (o && typeof o.create === "function" && typeof o.parseOptions === "function") return o as unknown as AnyPlugin;
  return undefined;
}

function resolve<T>(x: unknown, host: () => PluginHost, diagnostics: DiagnosticsSink): T {
  const p = descriptorOf(x);
  if (!p) return x as T;
  const raw = p === x ? {} : ((x as { options?: unknown }).options ?? {});
  // Raw options are only seen here: old spellings are parsed to the new ones, so warn now.
  warnDeprecatedOptions(raw, p.optionAliases, diagnostics, p.id);
  return p.create(p.parseOptions(raw) as never, host()) as T;
}

function optionsOf(x: unknown): unknown {
  const o = x as { plugin?: AnyPlugin; options?: unknown; parseOptions?: (r: unknown) => unknown };
  if (o && typeof o === "object" && "plugin" in o && o.plugin) return o.plugin.parseOptions(o.options ?? {});
  if (o && typeof o.parseOptions === "function") return o.parseOptions({});
  return (x as { options?: unknown }).options ?? {};
}

/**
 * Runs quantize → code → decode → dequantize → evaluate once. Evaluators score the weights
 * decoded from the coded bytes, so the numbers describe what a user would ship.
 */
export async function runPipeline(args: {
  weights?: WeightSet;
  model?: ModelProbe;
  quantizer: Resolvable<QuantizerPlugin, Quantizer>;
  coder?: Resolvable<CoderPlugin, Coder>;
  evaluators?: readonly Resolvable<EvaluatorPlugin, Evaluator>[];
  select?: TensorSelector;
  options?: PipelineOptions;
  /**
   * What descriptors given here see in `create(options, host)`; default: a host whose registry
   * holds the descriptors given to this run (and its coder's id).
   */
  host?: PluginHost;
}): Promise<PipelineResult> {
  let host = args.host;
  const hostOf = (): PluginHost => {
    if (host) return host;
    const given = [args.quantizer, args.coder, ...(args.evaluators ?? [])].map(descriptorOf).filter((p): p is AnyPlugin => p !== undefined);
    const coder = descriptorOf(args.coder);
    host = standaloneHost([...new Set(given)], { coders: coder ? [coder.id] : [] });
    return host;
  };
  const diagnostics = new CollectingDiagnostics();
  const opts = args.options ?? {};
  const ctx: RunContext = createRunContext({ seed: opts.seed, diagnostics, progress: opts.progress, signal: opts.signal, model: args.model });
  const original = args.weights ?? args.model?.weights;
  if (!original) throw new InvalidQuantizedError("the pipeline has no weights: call .weights(…) or .model(…).");
  const select = args.select ?? defaultSelector;
  // Finiteness only where it matters: unselected tensors (±Inf Clip bounds, masks) pass through.
  // With worker threads it is checked while they quantize (this thread would only wait); an error
  // of the checks in between is thrown only after it, so every error wins as it did before.
  const later = opts.workers !== undefined;
  const prelude = () => {
    assertWeightSet(original, later ? () => false : select);
    const quantizer = resolve<Quantizer>(args.quantizer, hostOf, diagnostics);
    const selected = original.filter(select);
    assertSomethingToQuantize(tallySelection(original, select), { allowEmpty: opts.allowEmpty });
    requireCapabilities(quantizer.id, args.model, quantizer.needs ?? [], quantizer.capabilityAdvice);
    const evaluators = (args.evaluators ?? []).map((e) => resolve<Evaluator>(e, hostOf, diagnostics));
    for (const e of evaluators) requireCapabilities(e.id, args.model, e.needs ?? []);
    throwIfAborted(ctx);
    return { quantizer, selected, evaluators };
  };
  let checked: ReturnType<typeof prelude>;
  try {
    checked = prelude();
  } catch (e) {
    if (later) assertWeightSet(original, select);
    throw e;
  }
  const { quantizer, selected, evaluators } = checked;
  const others = original.filter((t) => !select(t));
  // The workers start on the tensors before the check below: a failure there leaves them to the caller's pool.
  const pending = quantizer.perTensor && opts.workers ? opts.workers.quantize(quantizer, selected, ctx) : undefined;
  pending?.catch(() => undefined);
  // Workers that check finiteness themselves (fused into a pass they make anyway) leave this
  // thread only the tensors they did not vouch for.
  const deferred = pending !== undefined && opts.workers?.checksFinite === true;
  if (later && !deferred) for (const t of selected) assertFinite(t);
  let ahead: Awaited<typeof pending>;
  try {
    ahead = await pending;
  } catch (e) {
    // A non-finite input fails as it does on one thread, whatever a worker made of it.
    if (deferred) for (const t of selected) assertFinite(t);
    throw e;
  }
  if (deferred) for (const t of selected) if (!ahead?.finite?.has(t.data)) assertFinite(t);
  const q = ahead?.model ?? (await quantizer.quantize(selected, ctx));
  // The largest code of every array, read once here and reused by the round trip's decode check.
  const maxes: KnownMaxCodes = new Map(ahead?.maxCodes);
  checkQuantizedModel(q, selected, maxes);
  const full: QuantizedModel = { ...q, passthrough: [...(q.passthrough ?? []), ...others] };
  let quantized = full;
  let encoded: EncodedModel | undefined;
  let coderInfo: { id: string } | null = null;
  if (args.coder) {
    const coder = resolve<Coder>(args.coder, hostOf, diagnostics);
    coderInfo = { id: coder.id };
    throwIfAborted(ctx);
    const trip = roundTripCoder(precodedCoder(coder, ahead?.streams, ahead?.groups), ahead?.facts?.histograms);
    encoded = encodeContainer(full, trip, { quantizer: quantizer.id, seed: ctx.seed, ...opts.metadata }, ahead?.crc32s ? { knownCrc32: ahead.crc32s } : {});
    const back = decodeEncodedContainer(encoded, () => trip, maxes).model;
    assertSameCodes(full, back, coder.id);
    quantized = withCodedArrays(back, full);
  }
  // Values the workers dequantized (or only summed) are reused only where the decoded tensor's inputs equal theirs.
  const { tensors: decoded, sources } = dequantizeModelAhead(
    quantized,
    original,
    ahead && (ahead.dequantized || ahead.errorStats) ? { source: ahead.model, values: ahead.dequantized ?? new Map(), lazy: new Set(ahead.errorStats?.keys()) } : undefined,
  );
  const quantizedNames = new Set(q.tensors.map((t) => t.name));
  const facts = aheadFacts(ahead, sources);
  const subject: EvaluationSubject = { original, decoded, quantizedNames, quantized, encoded: encoded?.size, ...(facts ? { ahead: facts } : {}) };
  const metrics: Metric[] = [];
  for (const e of evaluators) {
    throwIfAborted(ctx);
    // A loop, not push(...): one metric per tensor overflows the call stack past ~60,000 tensors.
    for (const m of await e.evaluate(subject, ctx)) metrics.push(m);
  }
  return {
    seed: ctx.seed,
    quantizer: { id: quantizer.id, options: optionsOf(args.quantizer) },
    coder: coderInfo,
    original,
    decoded,
    quantizedNames,
    quantized,
    encoded,
    metrics,
    diagnostics: diagnostics.items,
  };
}

/** Fluent builder over {@link runPipeline} (design §4). */
export class PipelineBuilder {
  private args: Parameters<typeof runPipeline>[0] = { quantizer: undefined as never, evaluators: [] };
  constructor(private readonly options: PipelineOptions = {}) {}
  /** Sets the input weights. */
  weights(ws: WeightSet): this {
    this.args = { ...this.args, weights: ws };
    return this;
  }
  /** Sets the input model (its weights and capabilities). */
  model(m: ModelProbe): this {
    this.args = { ...this.args, model: m };
    return this;
  }
  /** Chooses which tensors are quantized. */
  select(s: TensorSelector): this {
    this.args = { ...this.args, select: s };
    return this;
  }
  /** Sets the quantizer: an instance, a descriptor, or `{ plugin, options }`. */
  quantize(q: Resolvable<QuantizerPlugin, Quantizer>): this {
    this.args = { ...this.args, quantizer: q };
    return this;
  }
  /** Sets the coder. */
  code(c: Resolvable<CoderPlugin, Coder>): this {
    this.args = { ...this.args, coder: c };
    return this;
  }
  /** Adds evaluators. */
  evaluate(...e: Resolvable<EvaluatorPlugin, Evaluator>[]): this {
    this.args = { ...this.args, evaluators: [...(this.args.evaluators ?? []), ...e] };
    return this;
  }
  /** Sets what descriptors see in `create(options, host)` (default: the descriptors given here). */
  host(h: PluginHost): this {
    this.args = { ...this.args, host: h };
    return this;
  }
  /** Runs the pipeline. */
  run(): Promise<PipelineResult> {
    if (!this.args.quantizer) throw new InvalidQuantizedError("the pipeline has no quantizer: call .quantize(…) first.");
    return runPipeline({ ...this.args, options: this.options });
  }
}

/** Starts a pipeline: `pipeline({ seed }).weights(w).quantize(q).code(c).evaluate(e).run()`. */
export function pipeline(options: PipelineOptions = {}): PipelineBuilder {
  return new PipelineBuilder(options);
}
