import { codebookMap, defineEvaluator, ShapeMismatchError, valueCount, z, type EvaluationSubject, type Evaluator, type EvaluatorPlugin, type Metric, type RunContext, type WeightTensor } from "@quantforge/core";
import { DEFAULT_SQNR_EXTENSIONS, type SqnrExtension, type SqnrTensorInput } from "./extensions.js";
import { accumulateStats, emptyStats, mergeStats, sqnrMetrics, type ErrorStats } from "./sqnr-impl.js";
import { VERSION } from "./version.js";

/** zod schema of the sqnr options (none yet; unknown fields are rejected). */
export const sqnrOptionsSchema = z.strictObject({});

/** Validated sqnr options. */
export type SqnrOptions = z.output<typeof sqnrOptionsSchema>;
/** sqnr options as a user writes them. */
export type SqnrOptionsInput = z.input<typeof sqnrOptionsSchema>;

/** Extra wiring of {@link sqnrEvaluator}. */
export interface SqnrHooks {
  /** Extensions to run instead of {@link DEFAULT_SQNR_EXTENSIONS} (e.g. `[]` for measured only). */
  readonly extensions?: readonly SqnrExtension[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * `accumulateStats(emptyStats(), original, decoded)`, or the same sums computed ahead on another
 * thread (`subject.ahead`, core's AheadFacts) for exactly these originals and this decoded tensor
 * (looked up first, before `decoded.data` is read: the pipeline may decode a tensor only when its
 * values are read, and these sums make reading them unnecessary) or its decoded values.
 */
function statsOf(subject: EvaluationSubject, original: WeightTensor, decoded: WeightTensor): ErrorStats {
  const byTensor = subject.ahead?.tensorErrorStats?.get(decoded);
  const known = byTensor?.original === original.data && byTensor.stats.count === original.data.length ? byTensor : subject.ahead?.errorStats?.get(decoded.data);
  if (known?.original !== original.data) return accumulateStats(emptyStats(), original.data, decoded.data);
  const { count, signal, noise, maxAbs } = known.stats;
  return { count, signal, noise, maxAbs };
}

/**
 * Measures every quantized tensor of `subject` (decoded vs original) and all of them pooled,
 * then runs `extensions`.
 *
 * @throws {ShapeMismatchError} when a decoded tensor is missing or differs in shape or length.
 */
export function evaluateSqnr(subject: EvaluationSubject, ctx: RunContext, extensions: readonly SqnrExtension[] = DEFAULT_SQNR_EXTENSIONS): Metric[] {
  const decoded = new Map<string, WeightTensor>(subject.decoded.map((t) => [t.name, t]));
  const quantized = new Map(subject.quantized.tensors.map((t) => [t.name, t]));
  const codebooks = codebookMap(subject.quantized);
  const metrics: Metric[] = [];
  const inputs: SqnrTensorInput[] = [];
  const pooled = emptyStats();
  for (const original of subject.original) {
    if (!subject.quantizedNames.has(original.name)) continue;
    const d = decoded.get(original.name);
    if (!d) throw new ShapeMismatchError(`sqnr: the decoded weights lack tensor "${original.name}". Evaluate the decoded model of the same weight set.`);
    // valueCount: the length without decoding a tensor the pipeline decodes only when read.
    if (!sameShape(d.shape, original.shape) || valueCount(d) !== original.data.length) {
      throw new ShapeMismatchError(
        `sqnr: decoded "${original.name}" has shape [${d.shape.join(", ")}] (${valueCount(d)} values) but the original has [${original.shape.join(", ")}] (${original.data.length}). Evaluate the decoded model of the same weight set.`,
      );
    }
    const stats = statsOf(subject, original, d);
    mergeStats(pooled, stats);
    const q = quantized.get(original.name);
    const input: SqnrTensorInput = { original, decoded: d, stats, ...(q ? { quantized: q, codebook: codebooks.get(q.codebook) } : {}) };
    inputs.push(input);
    metrics.push(...sqnrMetrics(stats, original.name));
    for (const x of extensions) if (x.tensorMetrics) metrics.push(...x.tensorMetrics(input, ctx));
  }
  metrics.push(...sqnrMetrics(pooled));
  for (const x of extensions) if (x.overallMetrics) metrics.push(...x.overallMetrics(inputs, pooled, ctx));
  return metrics;
}

/**
 * The `sqnr` evaluator plugin (scope `tensor`): on the decoded weights against the originals,
 * per quantized tensor and over all quantized weights pooled, reports `mse`, `maxAbsError` and
 * `sqnrDb` = 10·log10(Σw² / Σ(w − ŵ)²). An exact reconstruction gives `sqnrDb: null` with
 * `exact: true`; zero signal power gives null with reason "zero signal power".
 *
 * @param defaults - Options applied under the run-time options (none yet).
 * @param hooks - Extensions to run instead of the defaults.
 * @returns A side-effect-free evaluator descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(rtnQuantizer()).code(fixedCoder()).evaluate(sqnrEvaluator()).run();
 * ```
 */
export function sqnrEvaluator(defaults?: Partial<SqnrOptionsInput>, hooks: SqnrHooks = {}): EvaluatorPlugin<SqnrOptions> {
  const extensions = hooks.extensions ?? DEFAULT_SQNR_EXTENSIONS;
  return defineEvaluator({
    id: "sqnr",
    version: VERSION,
    description: "MSE, max-abs error and SQNR (dB) of the decoded weights, per tensor and over all quantized weights.",
    options: sqnrOptionsSchema,
    defaults,
    create: (): Evaluator => ({
      id: "sqnr",
      scope: "tensor",
      evaluate: (subject, ctx) => evaluateSqnr(subject, ctx, extensions),
    }),
  });
}
