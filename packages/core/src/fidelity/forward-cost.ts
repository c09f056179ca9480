import type { ModelProbe } from "../capabilities.js";

/**
 * A deterministic forward-pass cost estimate from a model's size and, when the model counts them,
 * its multiply-accumulates (shapes, never a clock). Shared by the
 * `auto` quantizer's cost model and the sensitivity report's sample plan, so both turn a time
 * budget into work the same way. The constants are seconds per unit of work measured once on the
 * reference machine (2 shared cores, tfjs-wasm; see quantizer-auto's README); they are constants,
 * never measured at run time, so the same model and options plan the same work on every machine.
 */

/** Seconds per forward-cost unit per sample (see {@link forwardUnitsPerSample}); measured on emotion.json. */
export const SECONDS_PER_FORWARD_UNIT = 6.5e-12;
/** Seconds per model parameter per forward pass, whatever its samples (weights uploaded, graph set up). */
export const SECONDS_PER_PASS_PARAM = 2.5e-8;
/**
 * Seconds per multiply-accumulate per sample (see `ForwardPass.macsPerSample`), CPU time on the
 * reference machine with tfjs-wasm: 8.3e-11 on UpscalerJS's default model (2.28e8 MACs per
 * sample, 64 samples: 1.21 CPU-s) and 9.6e-11 on emotion.json (6.58e7 MACs: 0.41 CPU-s).
 */
export const SECONDS_PER_MAC = 9e-11;

/** Shape facts the forward-cost estimate reads. */
export interface ForwardShape {
  /** Element count and rank of every float tensor of the model (quantized or not). */
  readonly modelTensors: readonly { readonly size: number; readonly rank: number }[];
  /** One input sample's shape (batch excluded), if known. */
  readonly inputShape?: readonly number[];
  /** Multiply-accumulates of one sample's forward pass, when the model counts them (`ForwardPass.macsPerSample`). */
  readonly macsPerSample?: number;
}

/**
 * A deterministic forward-cost estimate per sample: Σ over the model's tensors of its size, times
 * the input's spatial positions (product of the input dims but the smallest, the channels) for
 * tensors of rank ≥ 3 (convolution kernels slide over the input). An upper-bound-style MAC count
 * — no downsampling is assumed, so detectors that downsample early are overestimated (4–40× on
 * the corpus detectors) — calibrated against measured time by {@link SECONDS_PER_FORWARD_UNIT}.
 */
export function forwardUnitsPerSample(s: ForwardShape): number {
  const dims = [...(s.inputShape ?? [])].filter((d) => d > 0);
  const spatial = dims.length >= 2 ? dims.reduce((a, b) => a * b, 1) / Math.min(...dims) : 1;
  let u = 0;
  for (const t of s.modelTensors) u += t.size * (t.rank >= 3 ? spatial : 1);
  return u;
}

/**
 * Predicted seconds of one forward pass over `samples` inputs. With the model's own MAC count the
 * per-sample cost is the larger of the two estimates: the size-based one was calibrated on a
 * model that downsamples early (emotion.json, 12.7 units per MAC), so it underestimates one that
 * never does (UpscalerJS's default model: 1.0 unit per MAC, 13× under, and `auto` ran 13× its
 * budget). Taking the larger never loosens a plan that the size-based estimate made.
 */
export function passSeconds(s: ForwardShape, samples: number): number {
  const params = s.modelTensors.reduce((a, t) => a + t.size, 0);
  const perSample = Math.max(SECONDS_PER_FORWARD_UNIT * forwardUnitsPerSample(s), s.macsPerSample !== undefined && s.macsPerSample > 0 ? SECONDS_PER_MAC * s.macsPerSample : 0);
  return SECONDS_PER_PASS_PARAM * params + perSample * samples;
}

/**
 * The {@link ForwardShape} of `model` for a plan: the sizes and ranks of its weights, its input
 * shape, and its MAC count when its forward pass offers one (a model that cannot count them, or
 * fails to, is planned from its size alone).
 */
export async function modelForwardShape(model: ModelProbe): Promise<ForwardShape> {
  const macs = await model.forward?.macsPerSample?.().catch(() => undefined);
  return {
    modelTensors: model.weights.map((t) => ({ size: t.data.length, rank: t.shape.length })),
    ...(model.inputShape ? { inputShape: model.inputShape } : {}),
    ...(macs !== undefined && Number.isFinite(macs) && macs > 0 ? { macsPerSample: macs } : {}),
  };
}
