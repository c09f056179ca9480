/**
 * Model-output fidelity of decoded weights against the float model (host code: the fidelity
 * evaluator, the sensitivity report and the `auto` quantizer all measure through one
 * {@link FidelityMeter}, so `auto` needs no evaluator package). The metric math is
 * `@quantforge/metrics`'s; `meanKl` is its ln-of-ratio KL form the evaluator's `outputKl` has always used.
 */
import { meanKlRatio as meanKl, relativeError, softmaxRows, top1Agreement, type MaybeValue } from "@quantforge/metrics";
import type { Dataset, ForwardOutput, ModelProbe } from "../capabilities.js";
import { ShapeMismatchError } from "../errors.js";
import { Rng } from "../rng.js";
import { shapeSize, type WeightSet } from "../tensor.js";
import { classAxis, classifierKind, outputFlag, type OutputFlag } from "./output-kind.js";

/** Where the fidelity inputs come from. */
export type FidelityInputSource = "calibration" | "test" | "random";

/** How an output is read as a classifier (for KL and top-1 agreement). */
export type ClassifierMode = "auto" | "probabilities" | "logits" | "none";

/** Settings of a fidelity measurement (validated by the evaluator's schema). */
export interface FidelitySettings {
  /** Samples to run (capped by the dataset size). @default 32 */
  readonly samples: number;
  /** `auto`: calibration set, else test set, else random; or force one. @default "auto" */
  readonly source: "auto" | FidelityInputSource;
  /** Range [lo, hi) of the seeded uniform random inputs. @default [0, 1] (image-like inputs) */
  readonly inputRange: readonly [number, number];
  /** Shape of one input sample for random inputs when the model does not tell it. */
  readonly inputShape?: readonly number[];
  /**
   * `auto`: an output is a classifier when its float rows over the last axis are probability
   * distributions, or when it reads as logits (see `classifierKind`); `probabilities`/`logits`:
   * every output whose last dimension is ≥ 2 is (logits are softmaxed first); `none`: no KL or
   * top-1. @default "auto"
   */
  readonly classifier: ClassifierMode;
  /** Floor of q inside ln q for the KL divergence. @default 1e-12 */
  readonly klEpsilon: number;
}

/** Default settings. */
export const DEFAULT_FIDELITY_SETTINGS: FidelitySettings = Object.freeze({
  samples: 32,
  source: "auto",
  inputRange: Object.freeze<[number, number]>([0, 1]),
  classifier: "auto",
  klEpsilon: 1e-12,
});

/** The inputs a measurement runs on. */
export interface FidelityInputs {
  readonly inputs: Float32Array;
  readonly count: number;
  readonly sampleShape: readonly number[];
  readonly source: FidelityInputSource;
}

/** Fidelity of one model output. */
export interface OutputFidelity {
  readonly name: string;
  /** ‖y_q − y_f‖/‖y_f‖ over every value of this output on the inputs. */
  readonly relError: MaybeValue;
  /** Read as a classifier (KL and top-1 below are set). */
  readonly classifier: boolean;
  /** How it was read as a classifier (absent when it is not one). */
  readonly classifierKind?: "probabilities" | "logits";
  /** Set when the relative error of this output is not meaningful (then left out of `worst`). */
  readonly flag?: OutputFlag;
  /** Mean KL(p_float ‖ p_quant) in nats (classifiers only). */
  readonly kl?: number;
  /** Share of samples with the same top-1 class (classifiers only). */
  readonly top1Agreement?: number;
}

/** Fidelity of a decoded model against the float model. */
export interface FidelityResult {
  readonly outputs: readonly OutputFidelity[];
  /**
   * The largest relative error over the outputs that are not flagged (null with the reason when
   * every output is flagged or undefined).
   */
  readonly worst: MaybeValue;
  /** ‖Δy‖/‖y‖ with every output concatenated. */
  readonly overall: MaybeValue;
  readonly samples: number;
  readonly source: FidelityInputSource;
}

function datasetInputs(ds: Dataset, samples: number, source: FidelityInputSource): FidelityInputs {
  const count = Math.min(samples, ds.count);
  const per = ds.count === 0 ? shapeSize(ds.sampleShape) : ds.inputs.length / ds.count;
  return { inputs: ds.inputs.subarray(0, count * per), count, sampleShape: ds.sampleShape, source };
}

/**
 * The inputs a fidelity measurement runs on: with source `auto`, the first `samples` of the
 * model's test set (held-out data: a quantizer that calibrates — `auto`, GPFQ — never saw it),
 * else of its calibration set, else `samples` seeded uniform random inputs in `inputRange` of shape
 * `settings.inputShape ?? model.inputShape` (deterministic in `seed`).
 *
 * @throws {ShapeMismatchError} when random inputs are needed and no input shape is known.
 */
export function fidelityInputs(model: ModelProbe, settings: FidelitySettings, seed: number): FidelityInputs {
  const src = settings.source;
  if ((src === "auto" || src === "test") && model.testSet && model.testSet.count > 0) return datasetInputs(model.testSet, settings.samples, "test");
  if ((src === "auto" || src === "calibration") && model.calibrationSet && model.calibrationSet.count > 0) return datasetInputs(model.calibrationSet, settings.samples, "calibration");
  if (src !== "auto" && src !== "random") throw new ShapeMismatchError(`model "${model.id}" has no ${src} set. Use source "auto" or "random".`);
  // A file-backed probe brings the shared input generator (per-dtype ranges, --input-range, the
  // values an input is tested for): use it unless these settings override the shape or range, so
  // that every command measures a model on the same inputs.
  const sampler = (model as { sampleInputs?: (count: number, seed: number) => { inputs: Float32Array } }).sampleInputs;
  const defaultRange = settings.inputRange[0] === 0 && settings.inputRange[1] === 1;
  if (sampler && !settings.inputShape && defaultRange && model.inputShape) {
    return { inputs: sampler.call(model, settings.samples, seed).inputs, count: settings.samples, sampleShape: [...model.inputShape], source: "random" };
  }
  const shape = settings.inputShape ?? model.inputShape ?? model.calibrationSet?.sampleShape ?? model.testSet?.sampleShape;
  if (!shape) throw new ShapeMismatchError(`model "${model.id}" has no data and no known input shape. Pass the fidelity option inputShape (one sample, batch excluded).`);
  const per = shapeSize(shape);
  const [lo, hi] = settings.inputRange;
  const rng = new Rng(seed).fork("fidelity-inputs");
  const inputs = new Float32Array(settings.samples * per);
  for (let i = 0; i < inputs.length; i++) inputs[i] = lo + (hi - lo) * rng.float();
  return { inputs, count: settings.samples, sampleShape: [...shape], source: "random" };
}

/**
 * Every output of the model for `weights`: `forward.predictOutputs` when the model offers it,
 * else `forward.predict` as one output named `output`.
 */
export async function modelOutputs(model: ModelProbe, weights: WeightSet, inputs: Float32Array, count: number): Promise<readonly ForwardOutput[]> {
  const f = model.forward;
  if (!f) throw new ShapeMismatchError(`model "${model.id}" cannot run (no forward pass).`);
  if (f.predictOutputs) return f.predictOutputs(weights, inputs, count);
  const data = await f.predict(weights, inputs, count);
  return [{ name: "output", shape: [count === 0 ? 0 : data.length / count], data }];
}

interface ClassView {
  readonly kind: "probabilities" | "logits";
  readonly classes: number;
}

function classifierView(o: ForwardOutput, mode: ClassifierMode, flagged: boolean): ClassView | null {
  const classes = classAxis(o.shape);
  if (mode === "none" || classes === null || o.data.length % classes !== 0) return null;
  if (mode === "logits" || mode === "probabilities") return { kind: mode, classes };
  const kind = classifierKind(o.name, o.shape, o.data, flagged);
  return kind ? { kind, classes } : null;
}

/**
 * Measures decoded weight sets against the float model on fixed inputs. The float outputs are
 * computed once per meter, so the sensitivity report and the `auto` quantizer, which measure
 * many weight sets, run the float model only once.
 */
export class FidelityMeter {
  private floatOut?: Promise<readonly ForwardOutput[]>;
  /** The inputs every measurement runs on. */
  readonly inputs: FidelityInputs;

  /**
   * @param model - A model with a forward pass.
   * @param original - The float weights (every tensor of the model).
   * @param settings - Input and classifier settings.
   * @param seed - Seed of the random inputs (when the model has no data).
   */
  constructor(
    readonly model: ModelProbe,
    readonly original: WeightSet,
    readonly settings: FidelitySettings = DEFAULT_FIDELITY_SETTINGS,
    seed = 0,
  ) {
    this.inputs = fidelityInputs(model, settings, seed);
  }

  private flagCache = new Map<string, OutputFlag | null>();

  /** The flag of a float output (computed once per output name). */
  private flags(r: ForwardOutput): OutputFlag | null {
    if (!this.flagCache.has(r.name)) this.flagCache.set(r.name, outputFlag(r.data, classAxis(r.shape)));
    return this.flagCache.get(r.name)!;
  }

  /** The float model's outputs on the inputs (computed once). */
  floatOutputs(): Promise<readonly ForwardOutput[]> {
    this.floatOut ??= modelOutputs(this.model, this.original, this.inputs.inputs, this.inputs.count);
    return this.floatOut;
  }

  /**
   * Fidelity of `decoded` (every tensor of the model, float values) against the float model.
   *
   * @throws {ShapeMismatchError} when the decoded model's outputs differ in name or size.
   */
  async measure(decoded: WeightSet): Promise<FidelityResult> {
    const { count, source } = this.inputs;
    const ref = await this.floatOutputs();
    const got = await modelOutputs(this.model, decoded, this.inputs.inputs, count);
    if (got.length !== ref.length) throw new ShapeMismatchError(`the decoded model has ${got.length} outputs but the float model ${ref.length}.`);
    const outputs: OutputFidelity[] = [];
    let num = 0,
      den = 0,
      worst: number | null = null,
      undefinedReason: string | undefined;
    ref.forEach((r, k) => {
      const q = got[k]!;
      if (q.data.length !== r.data.length) throw new ShapeMismatchError(`output "${r.name}" has ${q.data.length} values with the decoded weights but ${r.data.length} with the float ones.`);
      const rel = relativeError(r.data, q.data);
      for (let i = 0; i < r.data.length; i++) {
        num += (q.data[i]! - r.data[i]!) ** 2;
        den += r.data[i]! ** 2;
      }
      const flag = this.flags(r);
      if (flag) undefinedReason ??= `output "${r.name}" is left out (${flag.reason})`;
      else if (rel.value === null) undefinedReason ??= `output "${r.name}": ${rel.reason}`;
      else worst = worst === null ? rel.value : Math.max(worst, rel.value);
      const view = classifierView(r, this.settings.classifier, flag !== null);
      const base = { name: r.name, relError: rel, ...(flag ? { flag } : {}) };
      if (!view) {
        outputs.push({ ...base, classifier: false });
        return;
      }
      const rows = r.data.length / view.classes;
      const pf = view.kind === "logits" ? softmaxRows(r.data, rows, view.classes) : r.data;
      const pq = view.kind === "logits" ? softmaxRows(q.data, rows, view.classes) : q.data;
      outputs.push({
        ...base,
        classifier: true,
        classifierKind: view.kind,
        kl: meanKl(pf, pq, rows, view.classes, this.settings.klEpsilon),
        top1Agreement: top1Agreement(pf, pq, rows, view.classes),
      });
    });
    const overall: MaybeValue =
      den === 0 ? (num === 0 ? { value: 0 } : { value: null, reason: "the float outputs are all zeros" }) : Number.isFinite(num) ? { value: Math.sqrt(num / den) } : { value: null, reason: "the quantized output is not finite" };
    const w: MaybeValue = worst !== null ? { value: worst } : { value: null, reason: undefinedReason ?? "the model has no outputs" };
    return { outputs, worst: w, overall, samples: count, source };
  }
}
