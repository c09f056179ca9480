import {
  ByteWriter, codebookSize, CollectingDiagnostics, defineQuantizer, dequantizeModel, hasCapability, InvalidOptionsError,
  MissingCapabilityError, Rng, throwIfAborted, writeCodebook, z,
  type Codebook, type Diagnostic, type ModelProbe, type QuantizedModel, type QuantizedTensor, type Quantizer, type QuantizerPlugin, type RunContext, type WeightSet, type WeightTensor,
} from "@quantforge/core";
import { DEFAULT_FIDELITY_SETTINGS, FidelityMeter, type FidelityResult } from "@quantforge/evaluator-fidelity";
import { allocate, type RdPoint } from "./allocate-impl.js";
import { VERSION } from "./version.js";

/**
 * A candidate: a quantizer id, its options (without `bits`, which is swept, unless fixed there)
 * and optionally the widths to sweep it at.
 */
export interface CandidateSpec {
  readonly quantizer: string;
  readonly options?: Record<string, unknown>;
  /** Widths this candidate is tried at (unless `options.bits` fixes one). @default the auto option `candidateBits` */
  readonly bits?: readonly number[];
}

/** Default bit widths of a candidate that does not list its own. */
export const DEFAULT_CANDIDATE_BITS: readonly number[] = Object.freeze([2, 3, 4, 5, 6, 7, 8]);

/**
 * Widths of the cheap per-tensor/per-channel rtn candidates: beyond 8 bits, so a sensitive tensor
 * can buy more than 8 bits with what cheaper choices elsewhere save (per-channel 8-bit costs
 * > 8 bits/weight with its scales, so an 8-bit budget cannot afford it everywhere).
 */
export const WIDE_CANDIDATE_BITS: readonly number[] = Object.freeze([2, 3, 4, 5, 6, 7, 8, 10, 12]);

/**
 * Default candidates. rtn (zero exact): per output channel (axis `"output"`), per **input**
 * channel (axis `"input"`), per group of 32 and of 128 elements, per tensor (tfjs-converter's
 * grid) — each at {@link WIDE_CANDIDATE_BITS} except group32 (2–8 and 10: its scales already cost
 * 2 bits/weight); uniform-mse per output channel midtread (exact zero) and per tensor (the
 * papers' midrise), and exact 1-D k-means per tensor (`hessian-ecsq`, mode `kmeans`, no
 * importance, one `levels` codebook per tensor, every level a float32 in the rate) — at 2–8 bits.
 * Ids the host did not register are skipped (k-means needs `hessian-ecsq`).
 *
 * Axes: `"output"`/`"input"` resolve through the tensor's recorded layout (core
 * `resolveChannelAxis`); without one they are the last and second-to-last axis, the output and
 * input channels of tfjs kernels `[kh, kw, cin, cout]` and `[in, out]`. rtn groups are runs of
 * consecutive row-major elements, i.e. in a tfjs kernel along the output channels inside one
 * input row (a group spans several rows when `cout` < groupSize). Per output channel isolates
 * outliers that sit in a few output channels; per input channel isolates outliers that sit in a
 * few input rows even when every output channel holds one; per group sits between them; k-means
 * spends a few levels on a handful of outliers wherever they sit and keeps the rest for the ≈ 0
 * bulk.
 */
export const DEFAULT_CANDIDATES: readonly CandidateSpec[] = Object.freeze([
  { quantizer: "rtn", options: { granularity: "channel", axis: "output", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "channel", axis: "input", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "group", groupSize: 32, zero: "exact" }, bits: [...DEFAULT_CANDIDATE_BITS, 10] },
  { quantizer: "rtn", options: { granularity: "group", groupSize: 128, zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "rtn", options: { granularity: "tensor", zero: "exact" }, bits: WIDE_CANDIDATE_BITS },
  { quantizer: "uniform-mse", options: { granularity: "channel", axis: "output", midtread: true } },
  { quantizer: "uniform-mse", options: { granularity: "tensor" } },
  { quantizer: "hessian-ecsq", options: { mode: "kmeans", importance: "none", scope: "layer" } },
]);

/** zod schema of the auto options (defaults applied by it). */
export const autoOptionsSchema = z.strictObject({
  /** Size budget in bits per quantized weight (codes + codebooks). @default 4 */
  bits: z.number().min(0.25).max(32).default(4),
  /** Size budget in bytes for all quantized tensors; overrides `bits` when given. */
  bytes: z.number().int().min(1).optional(),
  /**
   * Candidate methods (see {@link DEFAULT_CANDIDATES}); `options.bits` fixes the width, else the
   * candidate's own `bits` list is swept, else `candidateBits`.
   */
  candidates: z.array(z.strictObject({
    quantizer: z.string().min(1),
    options: z.record(z.string(), z.unknown()).optional(),
    bits: z.array(z.number().int().min(1).max(16)).min(1).optional(),
  })).min(1).optional(),
  /**
   * Bit widths swept for every candidate without a fixed `bits` — overriding the default
   * candidates' own lists; for candidates you list, only where they give no `bits` list.
   * @default each default candidate's list (2–8, plus 10 and 12 for most rtn candidates); 2–8 for listed candidates without one
   */
  candidateBits: z.array(z.number().int().min(1).max(16)).min(1).optional(),
  /** Cap on candidates per tensor (each costs one quantization and one forward pass per tensor); the defaults give 65. @default 72 */
  maxCandidates: z.number().int().min(1).max(256).default(72),
  /**
   * Input samples each forward pass runs (calibration/test rows or random inputs). Few samples
   * make the measured errors noisy — a classifier's output error rests on its few least
   * confident inputs — and the allocation then follows the noise. @default 256
   */
  samples: z.number().int().min(1).max(4096).default(256),
  /** Range of random inputs when the model has no data. @default [0, 1] */
  inputRange: z.tuple([z.number(), z.number()]).refine(([a, b]) => a < b, { message: "must be [lo, hi] with lo < hi" }).default([0, 1]),
});

/** Validated auto options. */
export type AutoOptions = z.output<typeof autoOptionsSchema>;
/** auto options as a user writes them. */
export type AutoOptionsInput = z.input<typeof autoOptionsSchema>;

/** What {@link autoQuantizer} takes at construction. */
export interface AutoQuantizerConfig {
  /**
   * The quantizer descriptors candidates may use (the runner passes its registered ones; a
   * function is called lazily, so a host may pass a list that contains this plugin itself — `auto`
   * is never its own candidate).
   */
  readonly plugins?: readonly QuantizerPlugin[] | (() => readonly { kind: string; id: string }[]);
  /** Options applied under the options given at run time. */
  readonly defaults?: Partial<AutoOptionsInput>;
}

/** One usable candidate: label, instance, and which spec (method + options) it sweeps the width of. */
interface Candidate {
  readonly label: string;
  readonly instance: Quantizer;
  readonly spec: number;
  readonly bits: number;
}

/** Bits a quantized tensor costs: fixed-length codes (+ positions when sparse) plus its serialized codebook(s). */
export function codedBits(qm: QuantizedModel): number {
  let bits = 0;
  const cbs = new Map(qm.codebooks.map((c) => [c.id, c]));
  for (const t of qm.tensors) {
    const size = codebookSize(cbs.get(t.codebook)!);
    bits += t.codes.length * Math.max(1, Math.ceil(Math.log2(Math.max(size, 2))));
    if (t.sparse) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      bits += t.sparse.positions.length * Math.max(1, Math.ceil(Math.log2(Math.max(n, 2))));
    }
  }
  for (const cb of qm.codebooks) {
    const w = new ByteWriter(64);
    writeCodebook(w, cb);
    bits += 8 * w.length;
  }
  for (const p of qm.passthrough ?? []) bits += 32 * p.data.length;
  return bits;
}

function label(id: string, options: Record<string, unknown>): string {
  const kv = Object.entries(options).filter(([k]) => k !== "bits").map(([k, v]) => `${k}=${String(v)}`);
  return `${id}${kv.length ? `:${kv.join(",")}` : ""}@${String(options.bits ?? "?")}b`;
}

function buildCandidates(o: AutoOptions, plugins: readonly QuantizerPlugin[]): Candidate[] {
  const byId = new Map(plugins.filter((p) => p.kind === "quantizer" && p.id !== "auto").map((p) => [p.id, p]));
  const explicit = o.candidates !== undefined;
  const specs = o.candidates ?? DEFAULT_CANDIDATES;
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const [si, s] of specs.entries()) {
    const p = byId.get(s.quantizer);
    if (!p) {
      if (explicit) throw new InvalidOptionsError("auto", "candidates", `names quantizer "${s.quantizer}", which is not available (known: ${[...byId.keys()].sort().join(", ") || "none"})`);
      continue;
    }
    const widths = s.options && "bits" in s.options ? [s.options.bits]
      : explicit ? (s.bits ?? o.candidateBits ?? DEFAULT_CANDIDATE_BITS) : (o.candidateBits ?? s.bits ?? DEFAULT_CANDIDATE_BITS);
    for (const b of widths) {
      const raw = { ...(s.options ?? {}), bits: b };
      let parsed;
      try {
        parsed = p.parseOptions(raw);
      } catch (e) {
        // A swept width the method does not support (support-region: 2–4 bits; midtread: ≥ 2) is
        // skipped; an explicit candidate whose other options are wrong is an error.
        if (!explicit) continue;
        const fixedBits = s.options !== undefined && "bits" in s.options;
        let othersValid = false;
        try {
          p.parseOptions(s.options ?? {});
          othersValid = true;
        } catch { /* the options are wrong whatever the width */ }
        if (!fixedBits && othersValid) continue;
        throw e;
      }
      const l = label(p.id, raw);
      if (seen.has(l)) continue;
      seen.add(l);
      out.push({ label: l, instance: p.create(parsed), spec: si, bits: Number(raw.bits) });
    }
  }
  if (out.length > o.maxCandidates) throw new InvalidOptionsError("auto", "maxCandidates", `is ${o.maxCandidates} but ${out.length} candidates were given; raise it or give fewer candidates/candidateBits`);
  if (out.length === 0) throw new InvalidOptionsError("auto", "candidates", "leave no usable candidate; register rtn or uniform-mse or list candidates explicitly");
  return out;
}

/** Σ over outputs of the squared relative error (additive over independently quantized tensors); Infinity if undefined. */
export function outputDistortion(r: FidelityResult): number {
  let d = 0;
  for (const o of r.outputs) {
    if (o.relError.value === null) return Infinity;
    d += o.relError.value ** 2;
  }
  return d;
}

function replace(all: WeightSet, repl: ReadonlyMap<string, Float32Array>): WeightSet {
  return all.map((t) => (repl.has(t.name) ? { ...t, data: repl.get(t.name)! } : t));
}

/** Renames a single-tensor result's codebooks so they are unique in the mixed model. */
function renamed(qm: QuantizedModel, t: WeightTensor): { codebooks: Codebook[]; tensors: QuantizedTensor[]; passthrough: WeightTensor[] } {
  const ids = new Map(qm.codebooks.map((c) => [c.id, qm.codebooks.length === 1 ? t.name : `${t.name}#${c.id}`]));
  return {
    codebooks: qm.codebooks.map((c) => ({ ...c, id: ids.get(c.id)! })),
    tensors: qm.tensors.map((q) => ({ ...q, codebook: ids.get(q.codebook)! })),
    passthrough: [...(qm.passthrough ?? [])],
  };
}

/** Measured rate–distortion points of one model, by {@link measurementKey}. */
export type MeasurementCache = WeakMap<ModelProbe, Map<string, CachedMeasurement>>;

/** What a measurement pass produced: the points and the diagnostics it reported. */
export interface CachedMeasurement {
  readonly points: readonly (readonly RdPoint[])[];
  readonly notes: readonly Diagnostic[];
}

/** Seed of auto's random calibration inputs, derived from the run seed (see {@link autoQuantize}). */
export function calibrationSeed(seed: number): number {
  return new Rng(seed).fork("auto-calibration").int(0, 0x7fffffff);
}

/** A mixed quantized model assembled from one candidate per tensor. */
interface Assembled {
  readonly choice: ArrayLike<number>;
  readonly codebooks: Codebook[];
  readonly tensors: QuantizedTensor[];
  readonly passthrough: WeightTensor[];
  readonly decoded: Map<string, Float32Array>;
  readonly rate: number;
}

async function assemble(weights: WeightSet, all: readonly Candidate[], choice: ArrayLike<number>, ctx: RunContext): Promise<Assembled> {
  const codebooks: Codebook[] = [], tensors: QuantizedTensor[] = [], passthrough: WeightTensor[] = [];
  const decoded = new Map<string, Float32Array>();
  let rate = 0;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i]!;
    const qm = await all[choice[i]!]!.instance.quantize([t], ctx);
    rate += codedBits(qm);
    const r = renamed(qm, t);
    codebooks.push(...r.codebooks);
    tensors.push(...r.tensors);
    passthrough.push(...r.passthrough);
    decoded.set(t.name, dequantizeModel(qm, [t])[0]!.data);
  }
  return { choice, codebooks, tensors, passthrough, decoded, rate };
}

/**
 * Per candidate method (spec), the assignment of that method to every tensor at the widest width
 * whose total measured rate fits the budget (methods that fail on a tensor are left out).
 */
function uniformChoices(all: readonly Candidate[], points: readonly (readonly RdPoint[])[], budget: number): { name: string; choice: Int32Array }[] {
  const out: { name: string; choice: Int32Array }[] = [];
  const specs = [...new Set(all.map((c) => c.spec))];
  for (const spec of specs) {
    const widths = [...new Set(all.filter((c) => c.spec === spec).map((c) => c.bits))].sort((a, b) => b - a);
    for (const b of widths) {
      const ci = all.findIndex((c) => c.spec === spec && c.bits === b);
      let rate = 0, ok = true;
      for (const row of points) { const p = row[ci]!; if (!Number.isFinite(p.rate) || !Number.isFinite(p.dist)) { ok = false; break; } rate += p.rate; }
      if (!ok || rate > budget) continue;
      out.push({ name: `single method ${all[ci]!.label} on every tensor`, choice: new Int32Array(points.length).fill(ci) });
      break;
    }
  }
  return out;
}

/** FNV-1a over a tensor's bytes: the cache must not serve points measured on other values. */
function fingerprint(a: Float32Array): number {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Everything the measured points depend on except the model (the cache's WeakMap key). */
function measurementKey(weights: WeightSet, all: readonly Candidate[], o: AutoOptions, seed: number): string {
  return JSON.stringify([all.map((c) => c.label), o.samples, o.inputRange, seed, weights.map((t) => [t.name, t.shape, fingerprint(t.data)])]);
}

/**
 * Runs the allocation on a model and returns the mixed quantized model plus what was chosen.
 * See {@link autoQuantizer}.
 */
export async function autoQuantize(weights: WeightSet, o: AutoOptions, plugins: readonly QuantizerPlugin[], ctx: RunContext, cache?: MeasurementCache): Promise<QuantizedModel> {
  const model = ctx.model;
  if (!model || !hasCapability(model, "forward")) throw new MissingCapabilityError("auto", "forward");
  const all = buildCandidates(o, plugins).filter((c) => (c.instance.needs ?? []).every((n) => hasCapability(model, n)));
  if (all.length === 0) throw new MissingCapabilityError("auto", "forward");
  // Random calibration inputs come from a stream of their own: with the run seed itself they
  // would be the very inputs the `fidelity` evaluator draws by default, and a comparison would
  // grade auto on what it was tuned on.
  // Calibration rows when the model has them, else random inputs — never its test set.
  const source = model.calibrationSet && model.calibrationSet.count > 0 ? "calibration" : "random";
  const meter = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, source, samples: o.samples, inputRange: o.inputRange }, calibrationSeed(ctx.seed));
  // Candidates run quietly: their diagnostics would repeat once per tried width.
  const quiet: RunContext = { ...ctx, diagnostics: new CollectingDiagnostics() };
  // The measurements do not depend on the budget: a budget sweep (compare's bit axis, bytes
  // budgets) on the same model, weights, candidates, samples and seed reuses them.
  const key = cache ? measurementKey(weights, all, o, ctx.seed) : "";
  const hit = cache?.get(model)?.get(key);
  const points: (readonly RdPoint[])[] = hit ? [...hit.points] : [];
  if (hit) for (const d of hit.notes) ctx.diagnostics.report(d);
  const notes: Diagnostic[] = [];
  const total = weights.length * all.length;
  let done = 0;
  for (const t of hit ? [] : weights) {
    const row: RdPoint[] = [];
    // A method that cannot take a tensor (a channel axis the tensor lacks) fails at every width;
    // say so once per method and tensor.
    const failed = new Set<number>();
    for (const c of all) {
      throwIfAborted(ctx);
      let pt: RdPoint = { rate: Infinity, dist: Infinity };
      try {
        const qm = await c.instance.quantize([t], quiet);
        const dec = dequantizeModel(qm, [t])[0]!;
        const r = await meter.measure(replace(model.weights, new Map([[t.name, dec.data]])));
        pt = { rate: codedBits(qm), dist: outputDistortion(r) };
      } catch (e) {
        if ((e as Error).name === "AbortedError") throw e;
        if (!failed.has(c.spec)) {
          failed.add(c.spec);
          const d: Diagnostic = { severity: "info", source: "auto", ruleId: "candidate-failed", tensor: t.name, message: `candidate ${c.label} cannot quantize "${t.name}" (${(e as Error).message.split("\n")[0]}); skipped (other widths of it that fail too are not repeated).` };
          notes.push(d);
          ctx.diagnostics.report(d);
        }
      }
      row.push(pt);
      ctx.progress.update("auto", ++done, total);
    }
    points.push(row);
  }
  if (cache && !hit) {
    const m = cache.get(model) ?? new Map<string, CachedMeasurement>();
    m.set(key, { points, notes });
    cache.set(model, m);
  }
  const count = weights.reduce((a, t) => a + t.data.length, 0);
  const budget = o.bytes !== undefined ? 8 * o.bytes : o.bits * count;
  const alloc = allocate(points, budget);
  if (!alloc.feasible) {
    ctx.diagnostics.report({ severity: "warning", source: "auto", ruleId: "budget-infeasible", message: `the budget (${(budget / Math.max(1, count)).toFixed(3)} bits/weight) is below the cheapest candidates (${(alloc.totalRate / Math.max(1, count)).toFixed(3)} bits/weight); the cheapest were chosen.` });
  }
  // End-to-end check: the greedy allocation rests on single-tensor errors adding up. It is
  // measured on the assembled model together with every single method applied to all tensors at
  // its widest width that fits the budget; the lowest measured Σ error² wins (the greedy one on
  // ties), so auto is never worse on its calibration inputs than a single method of the same size.
  const options: { name: string; choice: ArrayLike<number> }[] = [{ name: "greedy allocation", choice: alloc.choice }];
  for (const u of uniformChoices(all, points, budget)) options.push(u);
  let best: (Assembled & { readonly result: FidelityResult }) | undefined, bestName = "", bestDist = Infinity, greedyDist = Infinity;
  for (const opt of options) {
    throwIfAborted(ctx);
    const a = await assemble(weights, all, opt.choice, quiet);
    const r = await meter.measure(replace(model.weights, a.decoded));
    const d = outputDistortion(r);
    if (opt === options[0]) greedyDist = d;
    if (best === undefined || d < bestDist) { best = { ...a, result: r }; bestName = opt.name; bestDist = d; }
  }
  const chosen = best!;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i]!, ci = chosen.choice[i]!, c = all[ci]!, p = points[i]![ci]!;
    ctx.diagnostics.report({ severity: "info", source: "auto", ruleId: "choice", tensor: t.name, message: `"${t.name}": ${c.label}, ${(p.rate / Math.max(1, t.data.length)).toFixed(3)} bits/weight, alone output error² ${p.dist.toExponential(3)}.` });
  }
  const final = chosen.result;
  ctx.diagnostics.report({
    severity: "info", source: "auto", ruleId: "summary",
    message: `auto: ${(chosen.rate / Math.max(1, count)).toFixed(4)} bits/weight (budget ${(budget / Math.max(1, count)).toFixed(4)}), worst-output relative error ${final.worst.value === null ? "undefined" : final.worst.value.toExponential(4)} measured end to end; kept the ${bestName} of ${options.length} checked end to end (greedy: predicted Σ error² ${alloc.totalDist.toExponential(3)}, measured ${greedyDist.toExponential(3)}; kept: ${bestDist.toExponential(3)}), ${all.length} candidates × ${weights.length} tensors on ${final.samples} ${final.source} samples.`,
  });
  const { codebooks, tensors, passthrough } = chosen;
  return passthrough.length > 0 ? { codebooks, tensors, passthrough } : { codebooks, tensors };
}

/**
 * The `auto` quantizer (needs `forward`): given a size budget — `bits` per weight (default 4;
 * compare's bit axis) or `bytes` — it picks per tensor the method, options, granularity and bit
 * width among candidate quantizers to minimise the model-output error. Every tensor is quantized
 * alone with every candidate; the output error (Σ over outputs of the squared relative error on
 * `samples` inputs) and the real coded size (fixed-length codes + serialized codebook bytes)
 * give each tensor's rate–distortion points; greedy equal-slope allocation on their lower convex
 * hulls picks one per tensor under the budget; the assembled mixed model is measured end to end
 * and reported as an `info` diagnostic (`auto/summary`). Cost: tensors × candidates
 * quantizations and forward passes (candidates capped by `maxCandidates`, default 72; samples by
 * `samples`, default 256).
 *
 * @param config - Candidate quantizer descriptors and default options.
 */
export function autoQuantizer(config: AutoQuantizerConfig = {}): QuantizerPlugin<AutoOptions> {
  const plugins = (): QuantizerPlugin[] => {
    const p: readonly { kind: string; id: string }[] = typeof config.plugins === "function" ? config.plugins() : (config.plugins ?? []);
    return p.filter((x): x is QuantizerPlugin => x.kind === "quantizer" && x.id !== "auto");
  };
  // Per descriptor (created by this call, not at import): instances made from it share measurements.
  const cache: MeasurementCache = new WeakMap();
  return defineQuantizer({
    id: "auto",
    version: VERSION,
    description: "Per-tensor choice of method, granularity and bit width under a size budget (bits/weight or bytes) by measured rate–output-error slopes; verified end to end",
    options: autoOptionsSchema,
    defaults: config.defaults,
    create: (o): Quantizer => {
      const list = plugins();
      // Validate the candidate list now, so bad candidates fail before any model is loaded.
      buildCandidates(o, list);
      return { id: "auto", needs: ["forward"], quantize: (weights, ctx) => autoQuantize(weights, o, list, ctx, cache) };
    },
  });
}
