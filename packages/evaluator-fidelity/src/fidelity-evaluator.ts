import { defineEvaluator, MissingCapabilityError, ShapeMismatchError, z, type EvaluatorPlugin, type Metric, type ModelProbe, type WeightSet } from "@quantforge/core";
import { FidelityMeter, type FidelityResult, type FidelitySettings } from "@quantforge/core/host";
import { VERSION } from "./version.js";

/** zod schema of the fidelity options (defaults applied by it). */
export const fidelityOptionsSchema = z.strictObject({
  /** Samples (calibration/test rows or random inputs) to run. @default 32 */
  samples: z.number().int().min(1).max(100_000).default(32),
  /** `auto`: calibration set, else test set, else seeded random inputs; or force one. @default "auto" */
  source: z.enum(["auto", "calibration", "test", "random"]).default("auto"),
  /** Range [lo, hi) of the uniform random inputs. @default [0, 1] */
  inputRange: z
    .tuple([z.number(), z.number()])
    .refine(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && a < b, { error: "must be [lo, hi] with finite lo < hi" })
    .default([0, 1]),
  /** Shape of one input sample (batch excluded) for random inputs when the model does not say. */
  inputShape: z.array(z.number().int().min(1)).min(1).optional(),
  /** How rank-1 outputs are read as classifiers (see README). @default "auto" */
  classifier: z.enum(["auto", "probabilities", "logits", "none"]).default("auto"),
  /** Floor of q inside ln q for the KL divergence. @default 1e-12 */
  klEpsilon: z.number().positive().max(1e-3).default(1e-12),
  /** Seed of the random inputs; defaults to the run's seed. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
});

/** Validated fidelity options. */
export type FidelityOptions = z.output<typeof fidelityOptionsSchema>;
/** fidelity options as a user writes them. */
export type FidelityOptionsInput = z.input<typeof fidelityOptionsSchema>;

/** The settings part of validated options. */
export function fidelitySettings(o: FidelityOptions): FidelitySettings {
  return { samples: o.samples, source: o.source, inputRange: o.inputRange, classifier: o.classifier, klEpsilon: o.klEpsilon, ...(o.inputShape ? { inputShape: o.inputShape } : {}) };
}

/**
 * Meters per model, keyed by the original weight set and settings: a compare run evaluates many
 * quantizations of one model and must run the float model only once.
 */
const meters = new WeakMap<ModelProbe, { original: WeightSet; key: string; meter: FidelityMeter }[]>();

function meterFor(model: ModelProbe, original: WeightSet, settings: FidelitySettings, seed: number): FidelityMeter {
  const key = JSON.stringify([settings, seed]);
  let list = meters.get(model);
  if (!list) meters.set(model, (list = []));
  const hit = list.find((e) => e.original === original && e.key === key);
  if (hit) return hit.meter;
  const meter = new FidelityMeter(model, original, settings, seed);
  list.push({ original, key, meter });
  return meter;
}

function metric(name: string, v: { value: number | null; reason?: string }, unit?: string): Metric {
  return { name, value: v.value, ...(unit ? { unit } : {}), ...(v.value === null ? { reason: v.reason ?? "undefined" } : {}) };
}

/** Prefix of the metric that flags an output: `outputFlag:<name>`, value null, reason = why. */
export const OUTPUT_FLAG = "outputFlag:";

/** Turns a fidelity result into metrics (see {@link fidelityEvaluator}). */
export function fidelityMetrics(r: FidelityResult): Metric[] {
  const out: Metric[] = [metric("outputRelError", r.overall, "ratio"), metric("outputRelErrorWorst", r.worst, "ratio")];
  if (r.outputs.length > 1) for (const o of r.outputs) out.push(metric(`outputRelError:${o.name}`, o.relError, "ratio"));
  // A flag is a null metric whose reason says why the output's error is left out of "worst".
  for (const o of r.outputs) if (o.flag) out.push({ name: `${OUTPUT_FLAG}${o.name}`, value: null, reason: o.flag.reason });
  const cls = r.outputs.filter((o) => o.classifier);
  if (cls.length === 0) {
    const reason = "no output is a classifier (a distribution or logits over classes)";
    out.push({ name: "outputKl", value: null, reason }, { name: "top1Agreement", value: null, reason });
  } else {
    out.push({ name: "outputKl", value: cls.reduce((a, o) => a + o.kl!, 0) / cls.length, unit: "nats" }, { name: "top1Agreement", value: cls.reduce((m, o) => Math.min(m, o.top1Agreement!), Infinity), unit: "fraction" });
  }
  out.push({ name: "fidelitySamples", value: r.samples });
  return out;
}

function checkShapes(original: WeightSet, decoded: WeightSet): void {
  const byName = new Map(decoded.map((t) => [t.name, t]));
  for (const o of original) {
    const d = byName.get(o.name);
    if (!d || d.data.length !== o.data.length) throw new ShapeMismatchError(`decoded tensor "${o.name}" is missing or has another size than the model's. The decoded model does not match the original.`);
  }
}

/**
 * Model-level evaluator `fidelity` (scope `model`, needs `forward`): runs the float and the
 * decoded network on the same inputs — the model's calibration set, else its test set, else
 * `samples` seeded uniform random inputs in `inputRange` (default [0, 1)) of its input shape —
 * and reports:
 * - `outputRelError`: ‖y_q − y_f‖/‖y_f‖ over every output value (all outputs concatenated);
 * - `outputRelErrorWorst`: the largest per-output relative error over the outputs that are not
 *   flagged; `outputRelError:<name>` per output when the model has several;
 * - `outputFlag:<name>` (null, with the reason) for each output whose float values are
 *   saturated, near zero or sparse (see `outputFlag`): its relative error is left out of "worst";
 * - `outputKl` (nats, mean over classifier outputs) and `top1Agreement` (fraction, the lowest
 *   over classifier outputs), null with a reason when no output is a distribution or logits
 *   over classes (see `classifierKind`);
 * - `fidelitySamples`.
 * Identical weights give exactly 0, 0, 0 and 1.
 */
export function fidelityEvaluator(defaults?: Partial<FidelityOptionsInput>): EvaluatorPlugin<FidelityOptions> {
  return defineEvaluator({
    id: "fidelity",
    version: VERSION,
    description: "Model-output fidelity: relative output error per output and worst, output KL and top-1 agreement on calibration or seeded random inputs",
    options: fidelityOptionsSchema,
    defaults,
    create: (o) => ({
      id: "fidelity",
      scope: "model",
      needs: ["forward"],
      async evaluate(subject, ctx): Promise<readonly Metric[]> {
        const model = ctx.model;
        if (!model?.forward) throw new MissingCapabilityError("fidelity", "forward");
        checkShapes(subject.original, subject.decoded);
        const meter = meterFor(model, subject.original, fidelitySettings(o), o.seed ?? ctx.seed);
        return fidelityMetrics(await meter.measure(subject.decoded));
      },
    }),
  });
}
