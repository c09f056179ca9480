import type { Codebook } from "./codebook.js";
import type { RunContext } from "./context.js";
import type { Coder, Quantizer } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import type { WeightSet } from "./tensor.js";

/**
 * The tensor and codebook a version-2 container hands its coder for `t` (names live in the
 * container's string table, so streams are nameless). Streams coded ahead from this input are
 * byte-identical to the ones `encodeContainer` would code itself.
 */
export function compactStreamInput(t: QuantizedTensor, cb: Codebook): [QuantizedTensor, Codebook] {
  return [
    { ...t, name: "", codebook: "" },
    { ...cb, id: "" },
  ];
}

/** What {@link TensorWorkers.quantize} returns. */
export interface WorkerQuantization {
  /** Exactly what `quantizer.quantize(weights, ctx)` returns on this thread. */
  readonly model: QuantizedModel;
  /**
   * Container streams coded ahead on other threads, by the codes array of their tensor: each is
   * `coder.encode(...compactStreamInput(t, cb))` for the run's coder (coders without group coding).
   */
  readonly streams?: ReadonlyMap<Uint32Array, Uint8Array>;
  /** `dequantizeTensor` of each tensor of `model`, by its codes array, computed on other threads. */
  readonly dequantized?: ReadonlyMap<Uint32Array, Float32Array>;
}

/**
 * Other threads for the pipeline's per-tensor work (the runner's `--threads` pool). Core stays
 * free of any thread API: it only hands the work over and checks the results as its own.
 */
export interface TensorWorkers {
  /**
   * Quantizes `weights` tensor by tensor on other threads, exactly as `quantizer.quantize(weights, ctx)`
   * would here: same codebooks, codes and diagnostics, in input order (a per-tensor quantizer draws
   * randomness only from `ctx.rng.fork(label)`, which does not depend on the order of the calls).
   * Returns undefined when it cannot take this quantizer; the pipeline then quantizes itself.
   */
  quantize(quantizer: Quantizer, weights: WeightSet, ctx: RunContext): Promise<WorkerQuantization | undefined>;
}

/**
 * `coder`, except that a version-2 container's request for a stream coded ahead returns that
 * stream instead of coding it again. A request matches when it is the nameless stream input of
 * {@link compactStreamInput} for the same codes array; anything else is coded here.
 */
export function precodedCoder(coder: Coder, streams: ReadonlyMap<Uint32Array, Uint8Array> | undefined): Coder {
  if (!streams || streams.size === 0 || coder.group) return coder;
  const decodeEncoded = coder.decodeEncoded?.bind(coder);
  return {
    id: coder.id,
    encode(t, cb) {
      const s = t.name === "" && t.codebook === "" && cb.id === "" ? streams.get(t.codes) : undefined;
      return s ?? coder.encode(t, cb);
    },
    decode: (bytes, limits) => coder.decode(bytes, limits),
    ...(decodeEncoded ? { decodeEncoded } : {}),
  };
}
