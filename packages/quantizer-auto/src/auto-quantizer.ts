import { hasCapability, MissingCapabilityError, Rng, throwIfAborted, type Coder, type Diagnostic, type ModelProbe, type PluginHost, type QuantizedModel, type QuantizerPlugin, type RunContext, type WeightSet } from "@quantforge/core";
import { CollectingDiagnostics, DEFAULT_FIDELITY_SETTINGS, FidelityMeter, modelForwardShape, standaloneHost, type FidelityResult } from "@quantforge/core/host";
import { allocate, type RdPoint } from "./allocate-impl.js";
import { singleMethodChoices, explainSpend } from "./alternatives.js";
import { assemble, type Assembled, type QuantizedMemo } from "./assemble.js";
import { buildCandidates, type Candidate } from "./candidates.js";
import { chooseCostPlan, type CostPlan } from "./cost-model-impl.js";
import { measureTensor, outputDistortion, replace, yieldToEventLoop } from "./measure.js";
import type { AutoOptions } from "./options.js";

export { outputDistortion } from "./measure.js";
export { autoOptionsSchema, type AutoOptions, type AutoOptionsInput } from "./options.js";
export { codedBits, defaultCandidates, fieldCandidates, DEFAULT_CANDIDATE_BITS, type CandidateSpec } from "./candidates.js";

/** Measured rate–distortion points of one model, by {@link measurementKey}. */
export type MeasurementCache = WeakMap<ModelProbe, Map<string, CachedMeasurement>>;

/** What a measurement pass produced: the points and the diagnostics it reported. */
export interface CachedMeasurement {
  readonly points: readonly (readonly RdPoint[])[];
  readonly notes: readonly Diagnostic[];
  /** Candidates measured by a forward pass, per tensor (the others predicted). */
  readonly measured: readonly number[];
}

/** Seed of auto's random calibration inputs, derived from the run seed (see {@link autoQuantize}). */
export function calibrationSeed(seed: number): number {
  return new Rng(seed).fork("auto-calibration").int(0, 0x7fffffff);
}

/** FNV-1a over a tensor's bytes: the cache must not serve points measured on other values. */
function fingerprint(a: Float32Array): number {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Everything the measured points depend on except the model (the cache's WeakMap key). */
function measurementKey(weights: WeightSet, all: readonly Candidate[], o: AutoOptions, plan: CostPlan, seed: number): string {
  return JSON.stringify([all.map((c) => c.label), plan.samples, plan.measured, o.inputRange, o.coder ?? null, seed, weights.map((t) => [t.name, t.shape, fingerprint(t.data)])]);
}

/**
 * Plans the work from the budget in seconds (see the cost model) for these weights and candidates,
 * from the model's size and its MAC count when its forward pass counts them (core's `modelForwardShape`).
 */
export async function planFor(model: ModelProbe, weights: WeightSet, all: readonly Candidate[], o: AutoOptions): Promise<CostPlan> {
  const specs = new Set(all.map((c) => c.spec)).size;
  return chooseCostPlan(
    {
      ...(await modelForwardShape(model)),
      selected: weights.map((t) => t.data.length),
      costly: all.map((c) => c.costly),
      // The float reference, the greedy allocation and one single-method model per method.
      extraPasses: 2 + specs,
    },
    o.budgetSeconds,
    o.samples,
  );
}

/**
 * Runs the allocation on a model and returns the mixed quantized model plus what was chosen.
 * See `autoQuantizer`.
 */
export async function autoQuantize(weights: WeightSet, o: AutoOptions, plugins: readonly QuantizerPlugin[], ctx: RunContext, cache?: MeasurementCache, coder?: Coder, host: PluginHost = standaloneHost(plugins)): Promise<QuantizedModel> {
  const model = ctx.model;
  if (!model || !hasCapability(model, "forward")) throw new MissingCapabilityError("auto", "forward");
  const all = buildCandidates(o, plugins, host).filter((c) => (c.instance.needs ?? []).every((n) => hasCapability(model, n)));
  if (all.length === 0) throw new MissingCapabilityError("auto", "forward");
  const plan = await planFor(model, weights, all, o);
  // Random calibration inputs come from a stream of their own: with the run seed itself they
  // would be the very inputs the `fidelity` evaluator draws by default, and a comparison would
  // grade auto on what it was tuned on.
  // Calibration rows when the model has them, else random inputs — never its test set.
  const source = model.calibrationSet && model.calibrationSet.count > 0 ? "calibration" : "random";
  const meter = new FidelityMeter(model, model.weights, { ...DEFAULT_FIDELITY_SETTINGS, source, samples: plan.samples, inputRange: o.inputRange }, calibrationSeed(ctx.seed));
  // Candidates run quietly: their diagnostics would repeat once per tried width.
  const quiet: RunContext = { ...ctx, diagnostics: new CollectingDiagnostics() };
  // The measurements do not depend on the bit budget: a budget sweep (compare's bit axis, bytes
  // budgets) on the same model, weights, candidates, plan and seed reuses them.
  const key = cache ? measurementKey(weights, all, o, plan, ctx.seed) : "";
  const hit = cache?.get(model)?.get(key);
  const points: (readonly RdPoint[])[] = hit ? [...hit.points] : [];
  const measured: number[] = hit ? [...hit.measured] : [];
  if (hit) for (const d of hit.notes) ctx.diagnostics.report(d);
  const notes: Diagnostic[] = [];
  const perTensor = all.length + Math.min(plan.measured, all.length);
  const total = weights.length * perTensor;
  let done = 0;
  for (const t of hit ? [] : weights) {
    // A method that cannot take a tensor (a channel axis the tensor lacks) fails at every width;
    // say so once per method and tensor.
    const failed = new Set<number>();
    const note = (c: Candidate, e: Error): Diagnostic | undefined => {
      if (failed.has(c.spec)) return undefined;
      failed.add(c.spec);
      const d: Diagnostic = {
        severity: "info",
        source: "auto",
        ruleId: "candidate-failed",
        tensor: t.name,
        message: `candidate ${c.label} cannot quantize "${t.name}" (${e.message.split("\n")[0]}); skipped (other widths of it that fail too are not repeated).`,
      };
      notes.push(d);
      return d;
    };
    const start = done;
    const r = await measureTensor(t, model, all, plan.measured, meter, ctx, quiet, note, () => ctx.progress.update("auto: measuring candidates", ++done, total), coder);
    done = start + perTensor;
    points.push(r.points);
    measured.push(r.measured);
  }
  if (cache && !hit) {
    const m = cache.get(model) ?? new Map<string, CachedMeasurement>();
    m.set(key, { points, notes, measured });
    cache.set(model, m);
  }
  const count = weights.reduce((a, t) => a + t.data.length, 0);
  const budget = o.bytes !== undefined ? 8 * o.bytes : o.bits * count;
  const alloc = allocate(points, budget);
  if (!alloc.feasible) {
    ctx.diagnostics.report({
      severity: "warning",
      source: "auto",
      ruleId: "budget-infeasible",
      message: `the budget (${(budget / Math.max(1, count)).toFixed(3)} bits/weight) is below the cheapest candidates (${(alloc.totalRate / Math.max(1, count)).toFixed(3)} bits/weight); the cheapest were chosen.`,
    });
  }
  if (!plan.fits) {
    ctx.diagnostics.report({
      severity: "warning",
      source: "auto",
      ruleId: "budget-seconds",
      message: `the smallest plan (${plan.samples} samples, ${plan.measured} candidate(s) measured per tensor) is estimated at ${plan.seconds.toFixed(1)} s, above budgetSeconds ${o.budgetSeconds}; it runs anyway. Raise budgetSeconds (--budget-seconds) or quantize fewer tensors.`,
    });
  }
  // End-to-end check: the greedy allocation rests on single-tensor errors adding up. It is
  // measured on the assembled model together with every single method applied to all tensors at
  // its best mix of widths (and, when predicted better, its widest single width) that fits the
  // budget; the lowest measured Σ error² wins (the greedy one on ties), so on its calibration
  // inputs auto is never worse than any of the single-method models it checked.
  const options: { name: string; choice: ArrayLike<number> }[] = [{ name: "greedy allocation", choice: alloc.choice }];
  const seen = new Set([alloc.choice.join(",")]);
  for (const u of singleMethodChoices(all, points, budget)) {
    if (seen.has(u.choice.join(","))) continue;
    seen.add(u.choice.join(","));
    options.push(u);
  }
  const memo: QuantizedMemo = new Map();
  let best: (Assembled & { readonly result: FidelityResult }) | undefined,
    bestName = "",
    bestDist = Infinity,
    greedyDist = Infinity;
  for (const [k, opt] of options.entries()) {
    ctx.progress.update("auto: checking end to end", k, options.length);
    const a = await assemble(weights, all, opt.choice, quiet, memo, coder);
    await yieldToEventLoop();
    throwIfAborted(ctx);
    const r = await meter.measure(replace(model.weights, a.decoded));
    const d = outputDistortion(r);
    if (opt === options[0]) greedyDist = d;
    if (best === undefined || d < bestDist) {
      best = { ...a, result: r };
      bestName = opt.name;
      bestDist = d;
    }
  }
  ctx.progress.update("auto: checking end to end", options.length, options.length);
  const chosen = best!;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i]!,
      ci = chosen.choice[i]!,
      c = all[ci]!,
      p = points[i]![ci]!;
    ctx.diagnostics.report({
      severity: "info",
      source: "auto",
      ruleId: "choice",
      tensor: t.name,
      message: `"${t.name}": ${c.label}, ${(p.rate / Math.max(1, t.data.length)).toFixed(3)} bits/weight, alone output error² ${p.dist.toExponential(3)}.`,
    });
  }
  const final = chosen.result;
  const predicted = measured.reduce((a, m) => a + (all.length - m), 0);
  ctx.diagnostics.report({
    severity: "info",
    source: "auto",
    ruleId: "summary",
    message: `auto: ${(chosen.rate / Math.max(1, count)).toFixed(4)} bits/weight (budget ${(budget / Math.max(1, count)).toFixed(4)}, ${((100 * chosen.rate) / budget).toFixed(1)} % spent), worst-output relative error ${final.worst.value === null ? "undefined" : final.worst.value.toExponential(4)} measured end to end; kept the ${bestName} of ${options.length} checked end to end (greedy: predicted Σ error² ${alloc.totalDist.toExponential(3)}, measured ${greedyDist.toExponential(3)}; kept: ${bestDist.toExponential(3)}), ${all.length} candidates × ${weights.length} tensors on ${final.samples} ${final.source} samples${predicted > 0 ? ` (${predicted} of ${all.length * weights.length} candidate errors predicted from weight error; budgetSeconds ${o.budgetSeconds} → ${plan.measured} measured per tensor, est. ${plan.seconds.toFixed(1)} s)` : ""}.${explainSpend(bestName, alloc, points, chosen, budget, count)}`,
  });
  const { codebooks, tensors, passthrough } = chosen;
  return passthrough.length > 0 ? { codebooks, tensors, passthrough } : { codebooks, tensors };
}
