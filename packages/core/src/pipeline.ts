import { requireCapabilities, type ModelProbe } from "./capabilities.js";
import { CollectingDiagnostics, createRunContext, throwIfAborted, type Diagnostic, type ProgressReporter, type RunContext } from "./context.js";
import { decodeContainer, encodeContainer, type EncodedModel } from "./container.js";
import { dequantizeModel } from "./dequantize.js";
import { InvalidQuantizedError } from "./errors.js";
import type { PluginHost } from "./host.js";
import type { AnyPlugin, Coder, CoderPlugin, EvaluationSubject, Evaluator, EvaluatorPlugin, Metric, Quantizer, QuantizerPlugin } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { standaloneHost } from "./registry.js";
import { assertSomethingToQuantize, defaultSelector, tallySelection, type TensorSelector } from "./selection.js";
import { assertWeightSet, type WeightSet } from "./tensor.js";
import { precodedCoder, type TensorWorkers } from "./tensor-workers.js";
import { assertQuantizedModel } from "./validate.js";

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

/** The descriptor behind a {@link Resolvable}, if it is one. */
function descriptorOf(x: unknown): AnyPlugin | undefined {
  const o = x as { plugin?: AnyPlugin; create?: unknown; parseOptions?: unknown } | undefined;
  if (o && typeof o === "object" && "plugin" in o && o.plugin) return o.plugin;
  if (o && typeof o.create === "function" && typeof o.parseOptions === "function") return o as unknown as AnyPlugin;
  return undefined;
}

function resolve<T>(x: unknown, host: () => PluginHost): T {
  const p = descriptorOf(x);
  if (!p) return x as T;
  const raw = p === x ? {} : ((x as { options?: unknown }).options ?? {});
  return p.create(p.parseOptions(raw) as never, host()) as T;
}

function optionsOf(x: unknown): unknown {
  const o = x as { plugin?: AnyPlugin; options?: unknown; parseOptions?: (r: unknown) => unknown };
  if (o && typeof o === "object" && "plugin" in o && o.plugin) return o.plugin.parseOptions(o.options ?? {});
  if (o && typeof o.parseOptions === "function") return o.parseOptions({});
  return (x as { options?: unknown }).options ?? {};
}

/** True when two code arrays hold the same values (one tight loop; the same array is equal). */
function sameCodes(x: Uint32Array | undefined, y: Uint32Array | undefined): boolean {
  if (x === y) return true;
  if (!x || !y || x.length !== y.length) return false;
  const n = x.length;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * True when two quantized tensors carry the same codes and the same sparse positions: the
 * round-trip check after decoding (the pipeline's and `quantize`'s).
 */
export function sameTensorCodes(a: QuantizedTensor, b: QuantizedTensor): boolean {
  return sameCodes(a.codes, b.codes) && sameCodes(a.sparse?.positions, b.sparse?.positions);
}

/** The error of a coder whose decoded codes differ from the coded ones (the pipeline's and the streaming pipeline's). */
export function roundTripError(coderId: string, tensor: string): InvalidQuantizedError {
  return new InvalidQuantizedError(`coder "${coderId}" did not round-trip tensor "${tensor}" bit-exactly. The coder is broken.`);
}

/** Checks that decoding reproduced exactly the codes that were coded. */
function assertSameCodes(a: QuantizedModel, b: QuantizedModel, coderId: string): void {
  for (let i = 0; i < a.tensors.length; i++) {
    const t = a.tensors[i]!,
      u = b.tensors[i];
    if (!u || u.name !== t.name || !sameTensorCodes(t, u)) throw roundTripError(coderId, t.name);
  }
}

/** True when two byte arrays are equal (length, then 4 bytes at a time where aligned). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.length;
  let i = 0,
    diff = 0;
  if (((a.byteOffset | b.byteOffset) & 3) === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, n >>> 2),
      wb = new Int32Array(b.buffer, b.byteOffset, n >>> 2);
    for (let k = 0; k < wa.length; k++) diff |= wa[k]! ^ wb[k]!;
    i = wa.length << 2;
  }
  for (; i < n; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The coder for the pipeline's encode → decode round trip. With `decodeEncoded`, each stream the
 * container hands back is matched byte for byte against a stream the coder wrote, and the coder
 * decodes it knowing the tensor it came from (no second full decode of the codes); streams that
 * match none are decoded in full. Without it, the coder itself.
 */
function roundTripCoder(coder: Coder): Coder {
  const decodeEncoded = coder.decodeEncoded?.bind(coder);
  if (!decodeEncoded) return coder;
  const written = new Map<number, { stream: Uint8Array; tensor: QuantizedTensor }[]>();
  return {
    id: coder.id,
    // Group coding (container version 3) decodes whole groups; it keeps the coder's own group.
    ...(coder.group ? { group: coder.group } : {}),
    encode(t, cb) {
      const stream = coder.encode(t, cb);
      const list = written.get(stream.length);
      if (list) list.push({ stream, tensor: t });
      else written.set(stream.length, [{ stream, tensor: t }]);
      return stream;
    },
    decode(bytes, limits) {
      const list = written.get(bytes.length);
      // Containers decode streams in the order they were written: the first candidate matches,
      // so the search stays linear in the number of tensors.
      const k = !list ? -1 : list.length > 0 && sameBytes(list[0]!.stream, bytes) ? 0 : list.findIndex((w) => sameBytes(w.stream, bytes));
      if (k < 0) return coder.decode(bytes, limits);
      const { tensor } = list!.splice(k, 1)[0]!;
      return decodeEncoded(bytes, tensor, limits);
    },
  };
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
  assertWeightSet(original, select);
  const quantizer = resolve<Quantizer>(args.quantizer, hostOf);
  const selected = original.filter(select);
  const others = original.filter((t) => !select(t));
  assertSomethingToQuantize(tallySelection(original, select), { allowEmpty: opts.allowEmpty });
  requireCapabilities(quantizer.id, args.model, quantizer.needs ?? []);
  const evaluators = (args.evaluators ?? []).map((e) => resolve<Evaluator>(e, hostOf));
  for (const e of evaluators) requireCapabilities(e.id, args.model, e.needs ?? []);
  throwIfAborted(ctx);
  const ahead = quantizer.perTensor && opts.workers ? await opts.workers.quantize(quantizer, selected, ctx) : undefined;
  const q = ahead?.model ?? (await quantizer.quantize(selected, ctx));
  assertQuantizedModel(q, selected);
  const full: QuantizedModel = { ...q, passthrough: [...(q.passthrough ?? []), ...others] };
  let quantized = full;
  let encoded: EncodedModel | undefined;
  let coderInfo: { id: string } | null = null;
  if (args.coder) {
    const coder = resolve<Coder>(args.coder, hostOf);
    coderInfo = { id: coder.id };
    throwIfAborted(ctx);
    const trip = roundTripCoder(precodedCoder(coder, ahead?.streams));
    encoded = encodeContainer(full, trip, { quantizer: quantizer.id, seed: ctx.seed, ...opts.metadata });
    const back = decodeContainer(encoded.bytes, () => trip).model;
    assertSameCodes(full, back, coder.id);
    quantized = back;
  }
  // Values the workers dequantized are reused only where the decoded tensor's inputs equal theirs.
  const decoded = dequantizeModel(quantized, original, ahead?.dequantized ? { source: ahead.model, values: ahead.dequantized } : undefined);
  const quantizedNames = new Set(q.tensors.map((t) => t.name));
  const subject: EvaluationSubject = { original, decoded, quantizedNames, quantized, encoded: encoded?.size };
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
