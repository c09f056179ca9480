import { MissingCapabilityError } from "./errors.js";
import type { LayerKind, WeightSet } from "./tensor.js";

/** A capability a model may offer to quantizers and evaluators. */
export type Capability = "forward" | "layerInputs" | "hessianDiagonal" | "optimizerMoments" | "dataset";

/** A labelled set of samples, row-major `[count, ...sampleShape]`. */
export interface Dataset {
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly sampleShape: readonly number[];
  readonly classes: number;
}

/** One quantizable layer of a model, in forward order. */
export interface LayerInfo {
  readonly name: string;
  readonly kind: LayerKind;
  /** Name of the kernel tensor in the weight set. */
  readonly weight: string;
  /** Name of the bias tensor, if any. */
  readonly bias?: string;
  /** Inputs per output unit (N0): e.g. 784 for a 784→300 dense layer, kh·kw·cin for a conv. */
  readonly fanIn: number;
  /** Output units (neurons or filters). */
  readonly fanOut: number;
}

/** One named output of a forward pass, row-major `[count, ...shape]`. */
export interface ForwardOutput {
  readonly name: string;
  /** Shape of one sample's output (batch dimension excluded). */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Runs the network with a given weight set. */
export interface ForwardPass {
  /** Class probabilities `[count, classes]` for `count` samples, with weights `weights`. */
  predict(weights: WeightSet, inputs: Float32Array, count: number): Promise<Float32Array>;
  /**
   * Optional: every output of the model (multi-output graphs; regression heads), raw as the
   * model computes them, for the same inputs as `predict`. Fidelity metrics use it when present.
   */
  predictOutputs?(weights: WeightSet, inputs: Float32Array, count: number): Promise<readonly ForwardOutput[]>;
  /**
   * Optional: multiply-accumulates of one sample's forward pass, counted from the shapes of the
   * kernels the model runs (convolutions, matrix products; one per output element of every other
   * kernel). A count, never a time: time budgets turn it into seconds with a fixed constant
   * (`SECONDS_PER_MAC`), so plans stay the same on every machine. Without it budgets estimate
   * the work from the weights' sizes alone, which misses models that never downsample.
   */
  macsPerSample?(): Promise<number>;
}

/** Matrix of a layer's inputs on calibration samples. */
export interface LayerInputMatrix {
  /** Rows (samples; for convs, sample × output position patches). */
  readonly rows: number;
  /** Columns = the layer's fan-in N0, in the kernel's input order. */
  readonly cols: number;
  /** Row-major `[rows, cols]`. */
  readonly data: Float32Array;
}

/** The input each layer sees on calibration data, under a given (partly quantized) weight set. */
export interface LayerInputs {
  layerInputs(layer: string, samples: number, weights?: WeightSet): Promise<LayerInputMatrix>;
}

/** Diagonal of the Hessian of the average training loss w.r.t. every parameter. */
export interface HessianDiagonal {
  /** Same names and shapes as the weights; every value ≥ 0. */
  hessianDiagonal(opts: { samples: number; seed?: number }): Promise<WeightSet>;
}

/** Adam's second-moment estimates v̂ from training, one tensor per parameter. */
export interface OptimizerMoments {
  secondMoments(): Promise<WeightSet>;
}

/**
 * A model as quantizers and evaluators see it: its float weights plus optional capabilities.
 * Quantizers declare which they need (`Quantizer.needs`); the pipeline fails early with
 * {@link MissingCapabilityError} when the model lacks one.
 */
export interface ModelProbe {
  readonly id: string;
  /** The float weights (all parameters). */
  readonly weights: WeightSet;
  /** Quantizable layers in forward order. */
  readonly layers?: readonly LayerInfo[];
  readonly forward?: ForwardPass;
  readonly layerInputs?: LayerInputs;
  readonly hessian?: HessianDiagonal;
  readonly optimizer?: OptimizerMoments;
  /** Held-out labelled data for model-level evaluation. */
  readonly testSet?: Dataset;
  /** Calibration data (a subset of training data). */
  readonly calibrationSet?: Dataset;
  /**
   * Optional: shape of one input sample (batch excluded), for generating random inputs when the
   * model comes without data (`forward` takes `count · shapeSize(inputShape)` values).
   */
  readonly inputShape?: readonly number[];
}

/** True if `probe` offers `cap`. */
export function hasCapability(probe: ModelProbe | undefined, cap: Capability): boolean {
  if (!probe) return false;
  switch (cap) {
    case "forward":
      return probe.forward !== undefined;
    case "layerInputs":
      return probe.layerInputs !== undefined;
    case "hessianDiagonal":
      return probe.hessian !== undefined;
    case "optimizerMoments":
      return probe.optimizer !== undefined;
    case "dataset":
      return probe.testSet !== undefined;
  }
}

/** Every capability, in the order messages list them. */
const CAPABILITIES: readonly Capability[] = ["forward", "layerInputs", "hessianDiagonal", "optimizerMoments", "dataset"];

/**
 * Throws {@link MissingCapabilityError} for the first capability in `caps` that `probe` lacks; when a
 * model was given, the error names it and the capabilities it does offer (a conv-only model has a
 * forward pass but no layer inputs, and "run it on a model" would be wrong advice there).
 */
export function requireCapabilities(pluginId: string, probe: ModelProbe | undefined, caps: readonly Capability[], advice?: string): void {
  for (const c of caps) {
    if (hasCapability(probe, c)) continue;
    throw new MissingCapabilityError(pluginId, c, probe ? { id: probe.id, offers: CAPABILITIES.filter((k) => hasCapability(probe, k)) } : undefined, advice);
  }
}
