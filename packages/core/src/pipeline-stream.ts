import type { Codebook } from "./codebook.js";
import { throwIfAborted, type Diagnostic, type RunContext } from "./context.js";
import { dequantizeTensor } from "./codebook-impl.js";
import { dequantizeModel } from "./dequantize.js";
import { InvalidQuantizedError } from "./errors.js";
import type { Coder, Evaluator, Metric, Quantizer } from "./plugin.js";
import { roundTripError, sameTensorCodes } from "./round-trip.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import { assertSomethingToQuantize, defaultSelector, type TensorSelector } from "./selection.js";
import { assertWeightSet, type WeightTensor } from "./tensor.js";
import { assertQuantizedModel, checkQuantizedModel, codebookMap } from "./validate.js";

/** One tensor quantized (and coded) on another thread, exactly as this thread would. */
export interface StreamWork {
  /** `quantizer.quantize([tensor], ctx)`. */
  readonly model: QuantizedModel;
  /** `coder.encode(qt, cb)` of the quantized tensor itself (named), when coded there. */
  readonly stream?: Uint8Array;
  /** `dequantizeTensor` of the quantized tensor, when computed there (reused only where provably the same). */
  readonly decoded?: Float32Array;
  /**
   * `largestCode` of the codes of `model`'s one tensor, when read there: the check of exactly
   * those codes here then reads none of them (issue 18: a second pass on the busiest thread).
   */
  readonly maxCode?: number;
  /** `codeHistogram([codes], cap)` of `model`'s one tensor's codes (core's `CodeFacts`), for the coder's round-trip check. */
  readonly histogram?: Float64Array;
  /** Diagnostics reported while quantizing, in order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Other threads for {@link streamPipeline} (the runner's `--threads` pool): tensors are read ahead and handed over. */
export interface StreamWorkers {
  /** Tensors read and in flight ahead of the one being yielded. */
  readonly depth: number;
  /** Quantizes `t` as `quantizer.quantize([t], ctx)` would here and codes it with the run's coder. */
  quantize(t: WeightTensor): Promise<StreamWork>;
}

/** What {@link streamPipeline} yields for each input tensor, in input order. */
export interface StreamedTensor {
  /** The input tensor. */
  readonly tensor: WeightTensor;
  /** Picked by the selector (a selected tensor may still be kept in float by the quantizer). */
  readonly selected: boolean;
  /** The quantized tensor as decoded from its stream (as quantized without a coder); absent when kept in float. */
  readonly quantized?: QuantizedTensor;
  /** Its codebook (with `quantized`). */
  readonly codebook?: Codebook;
  /** The coded stream of `quantized` (with a coder). */
  readonly stream?: Uint8Array;
  /**
   * Dequantized values of `quantized` (the input's values when kept in float), computed at the
   * first read: a consumer that needs only error sums visits them block by block instead
   * (`visitDequantized`) and never holds them.
   */
  readonly decoded: Float32Array;
  /** Metrics of the tensor-scope evaluators on this tensor. */
  readonly metrics: readonly Metric[];
}

/** Arguments of {@link streamPipeline}. */
export interface StreamPipelineArgs {
  readonly quantizer: Quantizer;
  /** Codes each quantized tensor and checks that decoding gives back the same codes. */
  readonly coder?: Coder;
  /** Tensor-scope evaluators, run on each tensor as it passes. */
  readonly evaluators?: readonly Evaluator[];
  /** Which tensors are quantized (default {@link defaultSelector}); called once per tensor, in order. */
  readonly select?: TensorSelector;
  /** The run's context (seed, diagnostics, progress, abort signal, model). */
  readonly ctx: RunContext;
  /** Other threads for per-tensor quantizers. */
  readonly workers?: StreamWorkers;
  /** Run even when the selection picks no tensor (else `QF_NOTHING_TO_QUANTIZE` once the input is exhausted). */
  readonly allowEmpty?: boolean;
}

/**
 * Codes one quantized tensor of `q` with `coder`, checks that decoding the stream gives back the
 * same codes, and dequantizes it at the first read of `decoded`: the per-tensor form of
 * {@link runPipeline}'s encode → decode → dequantize. Returns undefined when `q` kept `t` in float
 * (passthrough).
 *
 * @param ahead - A stream, values and code histogram computed on another thread from exactly `q`'s tensor.
 * @throws {InvalidQuantizedError} when the coder does not round-trip the codes bit-exactly.
 */
export function codeTensor(
  q: QuantizedModel,
  codebooks: ReadonlyMap<string, Codebook>,
  t: WeightTensor,
  coder: Coder | undefined,
  ahead?: Pick<StreamWork, "stream" | "decoded" | "histogram">,
): { quantized: QuantizedTensor; codebook: Codebook; stream?: Uint8Array; readonly decoded: Float32Array } | undefined {
  const qt = q.tensors.find((x) => x.name === t.name);
  if (!qt) return undefined;
  const cb = codebooks.get(qt.codebook);
  if (!cb) throw new InvalidQuantizedError(`tensor "${qt.name}" refers to codebook "${qt.codebook}", which the model does not define.`);
  let back = qt;
  let stream: Uint8Array | undefined;
  if (coder) {
    stream = ahead?.stream ?? coder.encode(qt, cb);
    // The stream was just coded from qt: coders that can tell skip a second full decode.
    // The histogram, when given, is of exactly qt's codes (q's one tensor, as a worker counted it).
    const facts = ahead?.histogram && q.tensors.length === 1 ? { histogram: ahead.histogram } : undefined;
    const d = coder.decodeEncoded ? coder.decodeEncoded(stream, qt, undefined, facts) : coder.decode(stream);
    if (!sameTensorCodes(qt, d)) throw roundTripError(coder.id, t.name);
    back = { ...d, name: qt.name, shape: qt.shape, ...(qt.role ? { role: qt.role } : {}), ...(qt.layer ? { layer: qt.layer } : {}), ...(qt.layerKind ? { layerKind: qt.layerKind } : {}) };
  }
  // Values a worker dequantized are reused only where the decoded tensor provably equals its own.
  const dequantize = (): Float32Array => (ahead?.decoded ? dequantizeModel({ codebooks: [cb], tensors: [back] }, undefined, { source: q, values: new Map([[qt.codes, ahead.decoded]]) })[0]!.data : dequantizeTensor(back, cb));
  let decoded: Float32Array | undefined;
  return {
    quantized: back,
    codebook: cb,
    ...(stream ? { stream } : {}),
    // At the first read (see StreamedTensor.decoded).
    get decoded(): Float32Array {
      return (decoded ??= dequantize());
    },
  };
}

interface Pending {
  readonly t: WeightTensor;
  readonly selected: boolean;
  readonly job?: Promise<StreamWork>;
}

/**
 * The streaming form of the pipeline: quantize → code → round-trip check → dequantize → evaluate
 * each tensor of `tensors` as it arrives, yielding one {@link StreamedTensor} per input tensor in
 * input order. A per-tensor quantizer (`perTensor: true`) holds one tensor in flight (plus
 * `workers.depth` read ahead with workers), so peak memory is about the largest tensor; a joint
 * quantizer reads the whole input first and quantizes the selected tensors at once. Coding and
 * the round-trip check are {@link codeTensor}'s, the same checks {@link runPipeline} makes.
 *
 * @throws {NothingToQuantizeError} after the last tensor when nothing was selected (unless `allowEmpty`).
 */
export async function* streamPipeline(tensors: AsyncIterable<WeightTensor>, args: StreamPipelineArgs): AsyncGenerator<StreamedTensor, void, undefined> {
  const { quantizer, coder, ctx } = args;
  const base = args.select ?? defaultSelector;
  const tally = { total: 0, selected: 0, kernels: 0 };
  const select = (t: WeightTensor): boolean => {
    const s = base(t);
    tally.total++;
    if (s) tally.selected++;
    if (defaultSelector(t)) tally.kernels++;
    return s;
  };
  const finish = async (t: WeightTensor, selected: boolean, coded: ReturnType<typeof codeTensor>): Promise<StreamedTensor> => {
    const metrics: Metric[] = [];
    if (args.evaluators && args.evaluators.length > 0) {
      const quantized: QuantizedModel = coded ? { codebooks: [coded.codebook], tensors: [coded.quantized] } : { codebooks: [], tensors: [] };
      const subject = { original: [t], decoded: [{ ...t, data: coded?.decoded ?? t.data }], quantizedNames: new Set(coded ? [t.name] : []), quantized };
      for (const e of args.evaluators) for (const m of await e.evaluate(subject, ctx)) metrics.push(m);
    }
    const own = coded ? { quantized: coded.quantized, codebook: coded.codebook, ...(coded.stream ? { stream: coded.stream } : {}) } : {};
    return {
      tensor: t,
      selected,
      ...own,
      // Decoded at the first read (codeTensor's getter), so a consumer of sums alone never holds them.
      get decoded(): Float32Array {
        return coded?.decoded ?? t.data;
      },
      metrics,
    };
  };
  for (const e of args.evaluators ?? []) if (e.scope !== "tensor") throw new InvalidQuantizedError(`evaluator "${e.id}" has scope "${e.scope}"; the streaming pipeline runs tensor-scope evaluators only.`);

  if (quantizer.perTensor !== true) {
    // Joint: the quantizer sees every selected tensor at once.
    const all: WeightTensor[] = [];
    for await (const t of tensors) all.push(t);
    const selected = all.filter(select);
    assertWeightSet(selected);
    const q = selected.length > 0 ? await quantizer.quantize(selected, ctx) : { codebooks: [], tensors: [] };
    assertQuantizedModel(q, selected);
    const cbs = codebookMap(q);
    const sel = new Set(selected.map((t) => t.name));
    for (const t of all) yield await finish(t, sel.has(t.name), sel.has(t.name) ? codeTensor(q, cbs, t, coder) : undefined);
    assertSomethingToQuantize(tally, { allowEmpty: args.allowEmpty });
    return;
  }

  const one = async (t: WeightTensor, q: QuantizedModel, work?: StreamWork): Promise<StreamedTensor> => {
    // A worker's largest code is of exactly q's one tensor's codes: the check then reads none of them.
    const only = q.tensors.length === 1 ? q.tensors[0] : undefined;
    checkQuantizedModel(q, [t], only && work?.maxCode !== undefined ? new Map([[only.codes, work.maxCode]]) : undefined);
    return finish(t, true, codeTensor(q, codebookMap(q), t, coder, work));
  };
  const workers = args.workers;
  if (!workers) {
    for await (const t of tensors) {
      throwIfAborted(ctx);
      if (!select(t)) yield await finish(t, false, undefined);
      else {
        assertWeightSet([t]);
        yield await one(t, await quantizer.quantize([t], ctx));
      }
    }
  } else {
    // Reads and selections happen strictly in input order, each once, as without workers; up to
    // `depth` tensors are read and on a worker ahead of the one yielded. An error (an unreadable
    // tensor, non-finite weights, a worker's failure) surfaces when its tensor's turn comes.
    const it = tensors[Symbol.asyncIterator]();
    let chain: Promise<unknown> = Promise.resolve();
    let ended = false;
    const pull = (): Promise<Pending | undefined> => {
      const p = chain.then(async (): Promise<Pending | undefined> => {
        if (ended) return undefined;
        const r = await it.next();
        if (r.done) {
          ended = true;
          return undefined;
        }
        const t = r.value;
        if (!select(t)) return { t, selected: false };
        assertWeightSet([t]);
        const job = workers.quantize(t);
        job.catch(() => undefined);
        return { t, selected: true, job };
      });
      p.catch(() => undefined);
      chain = p.catch(() => undefined);
      return p;
    };
    const queue: Promise<Pending | undefined>[] = [];
    for (let k = 0; k < workers.depth; k++) queue.push(pull());
    try {
      for (;;) {
        throwIfAborted(ctx);
        // While tensor i is waited for and yielded, tensors up to i + depth are read: depth + 1 in flight.
        queue.push(pull());
        const item = await queue.shift()!;
        if (!item) break;
        if (!item.selected) {
          yield await finish(item.t, false, undefined);
          continue;
        }
        const r = await item.job!;
        for (const d of r.diagnostics) ctx.diagnostics.report(d);
        yield await one(item.t, r.model, r);
      }
    } finally {
      // Stopped early (an error, the consumer's return): let the input close its files.
      if (!ended) {
        ended = true;
        await chain.then(() => it.return?.());
      }
    }
  }
  assertSomethingToQuantize(tally, { allowEmpty: args.allowEmpty });
}
