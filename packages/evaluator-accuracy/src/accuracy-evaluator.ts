import { defineEvaluator, MissingCapabilityError, ShapeMismatchError, z, type EvaluatorPlugin, type Metric, type ModelProbe, type WeightSet } from "@quantforge/core";
import { argmaxRows as topClasses, matchShare as top1Accuracy, matchShare as top1Agreement, meanKlDivergence } from "@quantforge/metrics";
import { VERSION } from "./version.js";

/** Package version, reported by `quantforge list` (the package's `VERSION`, under its exported name). */
export const ACCURACY_EVALUATOR_VERSION = VERSION;

/** Default floor of the quantized probabilities inside the KL logarithm. */
export const DEFAULT_KL_EPSILON = 1e-12;

const options = z.object({
  /** Evaluate on the first `samples` test digits only (default: the whole test set). */
  samples: z.number().int().positive().optional(),
  /** Floor of q inside ln q for the KL divergence (float32 softmax outputs can be exactly 0). */
  klEpsilon: z.number().positive().max(1e-3).default(DEFAULT_KL_EPSILON),
});

/** Options of {@link accuracyEvaluator} (input form). */
export type AccuracyOptionsInput = z.input<typeof options>;
/** Options of {@link accuracyEvaluator} (parsed). */
export type AccuracyOptions = z.output<typeof options>;

interface FloatEntry {
  readonly original: WeightSet;
  readonly count: number;
  readonly probs: Float32Array;
  readonly top: Int32Array;
}

/**
 * Float predictions per probe, keyed by the original weight set and sample count: a compare run
 * evaluates many quantizations of one model and must not recompute the float network each time.
 * A WeakMap lets a probe and its cache be collected together.
 */
const floatCache = new WeakMap<ModelProbe, FloatEntry[]>();

async function floatPredictions(model: ModelProbe, original: WeightSet, inputs: Float32Array, count: number, classes: number): Promise<FloatEntry> {
  let list = floatCache.get(model);
  if (!list) {
    list = [];
    floatCache.set(model, list);
  }
  const hit = list.find((e) => e.original === original && e.count === count);
  if (hit) return hit;
  const probs = await model.forward!.predict(original, inputs, count);
  const entry: FloatEntry = { original, count, probs, top: topClasses(probs, count, classes) };
  list.push(entry);
  return entry;
}

function checkShapes(original: WeightSet, decoded: WeightSet): void {
  const byName = new Map(decoded.map((t) => [t.name, t]));
  for (const o of original) {
    const d = byName.get(o.name);
    if (!d) throw new ShapeMismatchError(`the decoded weights lack tensor "${o.name}". Every tensor of the model must be decoded.`);
    if (d.data.length !== o.data.length || d.shape.length !== o.shape.length || d.shape.some((v, i) => v !== o.shape[i])) {
      throw new ShapeMismatchError(`decoded tensor "${o.name}" has shape [${d.shape.join(", ")}] but the model's is [${o.shape.join(", ")}]. The decoded model does not match the original.`);
    }
  }
}

/**
 * Model-level evaluator `accuracy` (scope `model`, needs `forward` + `dataset`). Runs the decoded
 * network and the float network on `ctx.model.testSet` and reports, model-wide:
 * - `floatAccuracy`, `accuracy`: top-1 accuracy (fraction in [0, 1]) of the float and the decoded network;
 * - `agreement`: share of test samples where both pick the same top-1 class;
 * - `klDivergence`: mean KL(p_float ‖ p_quant) of the output distributions, in nats (q floored
 *   at `klEpsilon`, default 1e-12, inside the log; identical outputs give exactly 0);
 * - `accuracyDrop`: `floatAccuracy − accuracy`.
 * Per-layer SQNR comes from the `sqnr` evaluator. Float predictions are cached per probe.
 */
export function accuracyEvaluator(defaults?: Partial<AccuracyOptionsInput>): EvaluatorPlugin<AccuracyOptions> {
  return defineEvaluator({
    id: "accuracy",
    version: ACCURACY_EVALUATOR_VERSION,
    description: "Top-1 accuracy of the decoded network on the test set, float accuracy, top-1 agreement and output KL divergence",
    options,
    defaults,
    create: (o) => ({
      id: "accuracy",
      scope: "model",
      needs: ["forward", "dataset"],
      async evaluate(subject, ctx): Promise<readonly Metric[]> {
        const model = ctx.model;
        if (!model?.forward) throw new MissingCapabilityError("accuracy", "forward");
        const ds = model.testSet;
        if (!ds) throw new MissingCapabilityError("accuracy", "dataset");
        checkShapes(subject.original, subject.decoded);
        const count = Math.min(o.samples ?? ds.count, ds.count);
        if (count === 0) {
          const reason = "the model's test set is empty";
          const nulls: Metric[] = ["floatAccuracy", "accuracy", "accuracyDrop", "agreement", "klDivergence"].map((name) => ({ name, value: null, reason }));
          return [...nulls, { name: "testSamples", value: 0 }];
        }
        const per = ds.count === 0 ? 0 : ds.inputs.length / ds.count;
        const inputs = ds.inputs.subarray(0, count * per);
        const labels = ds.labels.subarray(0, count);
        const f = await floatPredictions(model, subject.original, inputs, count, ds.classes);
        const classes = f.probs.length / count;
        const q = await model.forward.predict(subject.decoded, inputs, count);
        const qTop = topClasses(q, count, classes);
        const floatAcc = top1Accuracy(f.top, labels, count);
        const acc = top1Accuracy(qTop, labels, count);
        return [
          { name: "floatAccuracy", value: floatAcc, unit: "fraction" },
          { name: "accuracy", value: acc, unit: "fraction" },
          { name: "accuracyDrop", value: floatAcc - acc, unit: "fraction" },
          { name: "agreement", value: top1Agreement(f.top, qTop, count), unit: "fraction" },
          { name: "klDivergence", value: meanKlDivergence(f.probs, q, count, classes, o.klEpsilon), unit: "nats" },
          { name: "testSamples", value: count },
        ];
      },
    }),
  });
}
