/**
 * A deterministic forward-pass cost estimate from a model's size alone (pure). Shared by the
 * `auto` quantizer's cost model and the sensitivity report's sample plan, so both turn a time
 * budget into work the same way. The constants are seconds per unit of work measured once on the
 * reference machine (2 shared cores, tfjs-wasm; see quantizer-auto's README); they are constants,
 * never measured at run time, so the same model and options plan the same work on every machine.
 */

/** Seconds per forward-cost unit per sample (see {@link forwardUnitsPerSample}); measured on emotion.json. */
export const SECONDS_PER_FORWARD_UNIT = 6.5e-12;
/** Seconds per model parameter per forward pass, whatever its samples (weights uploaded, graph set up). */
export const SECONDS_PER_PASS_PARAM = 2.5e-8;

/** Shape facts the forward-cost estimate reads. */
export interface ForwardShape {
  /** Element count and rank of every float tensor of the model (quantized or not). */
  readonly modelTensors: readonly { readonly size: number; readonly rank: number }[];
  /** One input sample's shape (batch excluded), if known. */
  readonly inputShape?: readonly number[];
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

/** Predicted seconds of one forward pass over `samples` inputs. */
export function passSeconds(s: ForwardShape, samples: number): number {
  const params = s.modelTensors.reduce((a, t) => a + t.size, 0);
  return SECONDS_PER_PASS_PARAM * params + SECONDS_PER_FORWARD_UNIT * forwardUnitsPerSample(s) * samples;
}
