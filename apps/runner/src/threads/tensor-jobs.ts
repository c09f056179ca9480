import { assertFinite, dequantizeTensor, dequantizeTensorBlocks, largestCode, shapeSize, type Coder, type Quantizer, type QuantizedModel } from "@quantforge/core";
import { CollectingDiagnostics, PluginRegistry, compactStreamInput, createHost, createRunContext } from "@quantforge/core/host";
import { codeHistogram, crc32 } from "@quantforge/core/format";
import { accumulateStats, accumulateStatsRange, emptyStats, endStats, startStats } from "@quantforge/metrics";
import { BUILTIN_PLUGINS } from "../builtin-plugins.js";
import { dequantizedErrorStats } from "../error-stats.js";
import type { LoadedPlugin, PluginSource } from "../plugin-loader/index.js";
import type { PluginChoice } from "../run-job.js";
import type { QuantizedOne, TensorJob, WireTensor } from "./protocol.js";

/** The cap of the size evaluator's dense histogram (larger codes: no histogram ahead). */
const HISTOGRAM_CAP = 1 << 20;

/** True when every value of `t` is finite (core's check, as a boolean). */
function allFinite(t: WireTensor): boolean {
  try {
    assertFinite(t);
    return true;
  } catch {
    return false;
  }
}

/**
 * Plugin instances by id and raw options (a worker serves many tensors of one run), created as
 * the main thread creates them: with a host holding the registry and the run's coder.
 */
function instances(registry: PluginRegistry) {
  const quantizers = new Map<string, Quantizer>(),
    coders = new Map<string, Coder>();
  const key = (...c: (PluginChoice | null)[]) => JSON.stringify(c.map((x) => x && [x.id, x.options ?? {}]));
  const host = (coder: PluginChoice | null) => createHost(registry, { coders: coder ? [coder.id] : [] });
  return {
    quantizer(c: PluginChoice, coder: PluginChoice | null): Quantizer {
      let q = quantizers.get(key(c, coder));
      if (!q) {
        const p = registry.quantizer(c.id);
        q = p.create(p.parseOptions(c.options ?? {}) as never, host(coder));
        quantizers.set(key(c, coder), q);
      }
      return q;
    },
    coder(c: PluginChoice): Coder {
      let k = coders.get(key(c));
      if (!k) {
        const p = registry.coder(c.id);
        k = p.create(p.parseOptions(c.options ?? {}) as never, host(c));
        coders.set(key(c), k);
      }
      return k;
    },
  };
}

/**
 * The main thread's third-party plugins, imported here too. The plugin loader, and the
 * `reflect-metadata` polyfill a plugin using tsyringe expects (the CLI loads it first), are
 * imported only when there are any: a worker of built-in plugins starts without them, or
 * tsyringe and commander (issue 18: start-up is most of a worker's fixed cost).
 */
export async function loadPlugins(plugins: readonly PluginSource[]): Promise<readonly LoadedPlugin[]> {
  if (plugins.length === 0) return [];
  await import("reflect-metadata");
  const { importPluginSources } = await import("../plugin-loader/index.js");
  return importPluginSources(plugins);
}

/** Adds the loaded plugins to `registry` as the main thread did (none: nothing to import). */
async function register(registry: PluginRegistry, loaded: readonly LoadedPlugin[]): Promise<void> {
  if (loaded.length === 0) return;
  const { registerLoadedPlugins } = await import("../plugin-loader/index.js");
  registerLoadedPlugins(registry, loaded);
}

/**
 * The worker's registry, built at its first tensor job as the main thread built its own: built-in
 * plugins first, then the loaded ones. A built-in quantizer other than `auto` (the one plugin that
 * reads the registry) gets only the built-ins the job names, imported on demand like the CLI's
 * (issue 18: importing all 19 packages was most of a worker's start-up); `auto` and third-party
 * quantizers get every built-in, as before.
 */
async function buildRegistry(loaded: readonly LoadedPlugin[], job: Pick<TensorJob, "quantizer" | "coder">): Promise<{ registry: PluginRegistry; ensure: (kind: "quantizer" | "coder", id: string) => Promise<void> }> {
  const byLoaded = (kind: string, id: string) => loaded.some((l) => l.plugin.kind === kind && l.plugin.id === id);
  const builtin = (kind: string, id: string) => (byLoaded(kind, id) ? undefined : BUILTIN_PLUGINS.find((p) => p.kind === kind && p.id === id));
  if (job.quantizer.id === "auto" || !builtin("quantizer", job.quantizer.id)) {
    const { builtinPlugins } = await import("../plugins.js");
    const registry = new PluginRegistry(builtinPlugins());
    await register(registry, loaded);
    return { registry, ensure: async () => undefined };
  }
  const registry = new PluginRegistry();
  const ensure = async (kind: "quantizer" | "coder", id: string): Promise<void> => {
    const b = builtin(kind, id);
    if (b && !registry.list(kind).some((p) => p.id === id)) registry.add(await b.load());
  };
  await ensure("quantizer", job.quantizer.id);
  if (job.coder) await ensure("coder", job.coder.id);
  await register(registry, loaded);
  return { registry, ensure };
}

/**
 * The tensor jobs of one run (see `TensorJob`), as a worker thread runs them and as the main
 * thread runs its share (`TensorPool`'s inline slot): the same registry, instances and steps, so
 * a job gives the same result on either. `loaded` are the run's third-party plugins.
 */
export function tensorJobRunner(loaded: readonly LoadedPlugin[]): (job: TensorJob) => Promise<QuantizedOne> {
  let built: Promise<{ registry: PluginRegistry; ensure: (kind: "quantizer" | "coder", id: string) => Promise<void>; made: ReturnType<typeof instances> }> | undefined;
  const ready = async (job: TensorJob) => {
    built ??= buildRegistry(loaded, job).then((b) => ({ ...b, made: instances(b.registry) }));
    const { ensure, made } = await built;
    await ensure("quantizer", job.quantizer.id);
    if (job.coder) await ensure("coder", job.coder.id);
    return made;
  };
  const quantizeOne = async (job: Extract<TensorJob, { type: "quantize" }>): Promise<QuantizedOne> => {
    const made = await ready(job);
    const diagnostics = new CollectingDiagnostics();
    const ctx = createRunContext({ seed: job.seed, diagnostics });
    const model = await made.quantizer(job.quantizer, job.coder).quantize([job.tensor], ctx);
    // Between the quantizer and the coder, a turn of the event loop: on the main thread (the
    // pool's inline slot) a worker's reply is answered here rather than after the whole job.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const parts = job.stage === "quantize" ? { code: true, evaluate: false } : { code: true, evaluate: true };
    return { ...finish(made, job, model, parts), diagnostics: diagnostics.items };
  };
  const finishOne = async (job: Extract<TensorJob, { type: "finish" }>): Promise<QuantizedOne> => ({ ...finish(await ready(job), job, job.model, { code: false, evaluate: true }), diagnostics: [] });
  /**
   * What a job asks of a tensor's quantization besides the model: its stream or group (`code`),
   * its decoded values, facts and largest code (`evaluate`).
   */
  const finish = (made: ReturnType<typeof instances>, job: TensorJob, model: QuantizedModel, parts: { readonly code: boolean; readonly evaluate: boolean }): Omit<QuantizedOne, "diagnostics"> => {
    const coder = job.coder && parts.code ? made.coder(job.coder) : undefined;
    const t = model.tensors[0],
      cb = model.codebooks.find((c) => c.id === t?.codebook);
    // Coded here only when the stream will be asked for: `quantize` codes every tensor alone; a
    // container (`run`) asks for compact streams only when the coder has no group coding.
    const named = job.streamInput === "named";
    const compact = t && cb && !named ? compactStreamInput(t, cb) : undefined;
    // The size evaluator's histogram, counted before coding: the coder may take it (core's
    // CodeFacts; Huffman counted the codes once more for its table).
    const histogram = job.facts?.histograms && t ? ((job.type === "finish" ? job.histogram : undefined) ?? codeHistogram([t.codes], HISTOGRAM_CAP)) : undefined;
    const facts = histogram ? { histogram } : undefined;
    const stream = coder && t && cb && (named || !coder.group) ? (named ? coder.encode(t, cb, facts) : coder.encode(compact![0], compact![1], facts)) : undefined;
    // A container asks a group coder for each codebook's tensors; a per-tensor codebook is a group of one.
    const group = coder?.group && compact ? coder.group.encodeGroup([compact[0]], compact[1]) : undefined;
    // A container's bytes (compact input): their checksum, computed here, beside the other
    // threads' work, is combined into the container's instead of read again on the main thread.
    const coded = named ? undefined : (group?.bytes ?? stream);
    const sum = coded ? { crc32: crc32(coded) } : {};
    if (!parts.evaluate) return { model, ...(stream ? { stream } : {}), ...(group ? { group } : {}), ...sum, ...(histogram ? { histogram } : {}) };
    const original = job.tensor.data;
    let decoded: Float32Array | undefined, errorStats: QuantizedOne["errorStats"];
    const sums = job.facts?.errorStats === true;
    if ((job.dequantize || sums) && t && cb && shapeSize(t.shape) === original.length) {
      // One pass: each block of decoded values is summed against the original while it is in
      // cache; the results are those of dequantizeTensor and accumulateStats over the whole
      // arrays (the range form keeps the order of the additions; a sparse tensor, or one
      // dequantizeTensorBlocks takes whole, is visited once, over all of its dense values).
      // Values nobody asked for are summed from one reused block and never kept.
      if (job.dequantize) {
        const run = sums ? startStats(emptyStats()) : undefined;
        decoded = dequantizeTensorBlocks(t, cb, (start, end, out) => {
          if (run) accumulateStatsRange(run, original, out, start, end);
        });
        errorStats = run && endStats(emptyStats(), run, original.length);
      } else {
        errorStats = dequantizedErrorStats(original, t, cb);
      }
    } else {
      decoded = job.dequantize && t && cb ? dequantizeTensor(t, cb) : undefined;
      errorStats = sums && decoded ? accumulateStats(emptyStats(), original, decoded) : undefined;
    }
    // The pipeline's finiteness check, fused into the statistics' pass when there is one: Σw² of
    // finite float32 values (each ≤ FLT_MAX² ≈ 1.2·10⁷⁷, fewer than 2⁵³ of them) is finite in
    // float64, one NaN makes it NaN and one ±∞ makes it +∞. Else a pass of its own (still off the main thread).
    const finite = errorStats && errorStats.count === job.tensor.data.length ? Number.isFinite(errorStats.signal) : job.checkFinite ? allFinite(job.tensor) : undefined;
    // A histogram ends at its largest code's bin (0 codes: empty, largest code 0): no second pass.
    const maxCode = t && model.tensors.length === 1 ? (histogram ? Math.max(0, histogram.length - 1) : largestCode(t.codes)) : undefined;
    return {
      model,
      ...(stream ? { stream } : {}),
      ...(group ? { group } : {}),
      ...sum,
      ...(decoded ? { decoded } : {}),
      ...(maxCode !== undefined ? { maxCode } : {}),
      ...(errorStats ? { errorStats } : {}),
      ...(histogram ? { histogram } : {}),
      ...(finite !== undefined ? { finite } : {}),
    };
  };
  return (job) => (job.type === "finish" ? finishOne(job) : quantizeOne(job));
}
