import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { throwIfAborted, type ErrorStatsAhead, type QuantizedModel, type WeightTensor, type CodeArray } from "@quantforge/core";
import type { TensorWorkers } from "@quantforge/core/host";
import { UsageError } from "../errors.js";
import type { PluginChoice } from "../run-job.js";
import type { TensorPool } from "./pool.js";
import { DEFAULT_THREADS_MIN_BYTES } from "./entry.js";
import type { QuantizedOne, TensorFacts, TensorJob, WireTensor } from "./protocol.js";

export { DEFAULT_THREADS_MIN_BYTES };

/** `--threads` help text. */
export const THREADS_HELP = `threads for per-tensor quantizers: 1 runs on the main thread; n > 1 runs on n − 1 worker threads and the main thread (run) or on n worker threads (quantize, whose main thread checks and writes each tensor) (same results; default: the available parallelism for inputs of ${DEFAULT_THREADS_MIN_BYTES / 2 ** 20} MiB or more, else 1)`;

/**
 * Worker threads for an input of `inputBytes` (undefined: unknown size): `--threads` as given,
 * else the available parallelism for inputs of at least {@link DEFAULT_THREADS_MIN_BYTES}, else 1.
 */
export function parseThreads(raw: string | undefined, inputBytes?: number): number {
  if (raw === undefined) return inputBytes !== undefined && inputBytes >= DEFAULT_THREADS_MIN_BYTES ? availableParallelism() : 1;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > 64) throw new UsageError(`--threads "${raw}" is not an integer in 1…64. Pass the number of threads (1 = no worker threads).`);
  return n;
}

/** Size of a file in bytes, or undefined when it cannot be stat'ed (the reader reports that error). */
export async function fileBytes(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.size;
}

/** The tensor as posted: its values are shared when they live in a SharedArrayBuffer, else copied. */
export function wireTensor(t: WeightTensor): WireTensor {
  return { name: t.name, shape: t.shape, ...(t.role ? { role: t.role } : {}), ...(t.layer ? { layer: t.layer } : {}), ...(t.layerKind ? { layerKind: t.layerKind } : {}), data: t.data };
}

/**
 * Tensors of at least this many elements go to the pool in two jobs (quantize and code, then
 * finish: dequantize and count), so the halves of a few large tensors spread over the workers: 3 equal
 * tensors on 2 workers kept one worker idle for a whole tensor when each was one job (issue 18).
 */
export const STAGE_MIN_ELEMENTS = 1 << 20;

/**
 * One tensor as a "quantize" job and then a "finish" job (taken by the first idle worker). The
 * codes travel to the finishing worker and back by transfer; the reply is the one a single job
 * gives, with the quantize job's diagnostics.
 */
async function staged(pool: TensorPool, job: Omit<Extract<TensorJob, { type: "quantize" }>, "id" | "type" | "tensor">, tensor: WireTensor): Promise<QuantizedOne> {
  const q = await pool.quantize({ ...job, tensor, stage: "quantize" });
  // Not one tensor: the pipeline takes only the model and diagnostics (and checks finiteness itself).
  if (q.model.tensors.length !== 1) return q;
  const f = await pool.finish({
    quantizer: job.quantizer,
    coder: job.coder,
    streamInput: job.streamInput,
    dequantize: job.dequantize,
    ...(job.checkFinite ? { checkFinite: true } : {}),
    ...(job.facts ? { facts: job.facts } : {}),
    ...(q.histogram ? { histogram: q.histogram } : {}),
    tensor,
    model: q.model,
  });
  return { ...f, ...(q.stream ? { stream: q.stream } : {}), ...(q.group ? { group: q.group } : {}), ...(q.crc32 !== undefined ? { crc32: q.crc32 } : {}), diagnostics: q.diagnostics };
}

/**
 * The pipeline's {@link TensorWorkers} on a {@link TensorPool}: every tensor of a per-tensor
 * quantizer (given by the same id and raw options as the run's) is quantized — its stream coded
 * with the run's coder and its values dequantized — on a worker; results are taken in input order, so codebooks,
 * tensors, diagnostics and progress come out exactly as on one thread.
 */
export function poolWorkers(
  pool: TensorPool,
  choice: {
    readonly quantizer: PluginChoice;
    readonly coder: PluginChoice | null;
    readonly facts?: TensorFacts;
    readonly stageMinElements?: number;
    /**
     * Default true: the workers return each tensor's dequantized values. False (with
     * `facts.errorStats`): they only sum them, and the pipeline decodes a tensor only if something
     * reads its values (issue 18: a run whose evaluators take the sums never holds them).
     */
    readonly values?: boolean;
  },
): TensorWorkers {
  return {
    async quantize(quantizer, weights, ctx) {
      // A model's capabilities (forward passes, data) stay on the main thread.
      if (quantizer.id !== choice.quantizer.id || ctx.model !== undefined || (quantizer.needs ?? []).length > 0) return undefined;
      const facts = choice.facts;
      const splitMin = choice.stageMinElements ?? STAGE_MIN_ELEMENTS;
      const job = { quantizer: choice.quantizer, coder: choice.coder, streamInput: "compact", dequantize: choice.values ?? true, checkFinite: true, ...(facts ? { facts } : {}), seed: ctx.seed } as const;
      const pending = weights.map((t) => (t.data.length >= splitMin ? staged(pool, job, wireTensor(t)) : pool.quantize({ ...job, tensor: wireTensor(t) })));
      // Every promise gets a handler now: a later failure must not surface as an unhandled rejection.
      for (const p of pending) p.catch(() => undefined);
      const codebooks: QuantizedModel["codebooks"][number][] = [],
        tensors: QuantizedModel["tensors"][number][] = [];
      const streams = new Map<CodeArray, Uint8Array>(),
        groups = new Map<CodeArray, NonNullable<QuantizedOne["group"]>>(),
        crc32s = new Map<Uint8Array, number>(),
        dequantized = new Map<CodeArray, Float32Array>(),
        maxCodes = new Map<CodeArray, number>();
      const errorStats = new Map<CodeArray, ErrorStatsAhead>(),
        histograms = new Map<CodeArray, Float64Array>(),
        finite = new Set<Float32Array>();
      for (let i = 0; i < pending.length; i++) {
        const r = await pending[i]!;
        throwIfAborted(ctx);
        for (const d of r.diagnostics) ctx.diagnostics.report(d);
        codebooks.push(...r.model.codebooks);
        tensors.push(...r.model.tensors);
        const only = r.model.tensors.length === 1 ? r.model.tensors[0]! : undefined;
        if (only && r.stream) streams.set(only.codes, r.stream);
        if (only && r.group) groups.set(only.codes, r.group);
        const coded = r.group?.bytes ?? r.stream;
        if (only && coded && r.crc32 !== undefined) crc32s.set(coded, r.crc32);
        if (only && r.decoded) dequantized.set(only.codes, r.decoded);
        if (only && r.maxCode !== undefined) maxCodes.set(only.codes, r.maxCode);
        // Keyed by the codes they were computed from (the error sums with the original this thread sent).
        if (only && r.errorStats) errorStats.set(only.codes, { original: weights[i]!.data, stats: r.errorStats });
        if (only && r.histogram) histograms.set(only.codes, r.histogram);
        if (r.finite === true) finite.add(weights[i]!.data);
        ctx.progress.update(quantizer.id, i + 1, weights.length);
      }
      return { model: { codebooks, tensors }, streams, groups, crc32s, dequantized, errorStats, maxCodes, facts: { histograms }, finite };
    },
    checksFinite: true,
  };
}
