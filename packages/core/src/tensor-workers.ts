import type { Codebook } from "./codebook.js";
import type { RunContext } from "./context.js";
import type { AheadFacts, ErrorStatsAhead } from "./ahead-facts.js";
import type { Coder, GroupCoder, Quantizer } from "./plugin.js";
import type { QuantizedModel, QuantizedTensor } from "./quantized.js";
import type { WeightSet } from "./tensor.js";
import type { CodeArray } from "./quantized.js";

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
  readonly streams?: ReadonlyMap<CodeArray, Uint8Array>;
  /**
   * Version-3 groups coded ahead, by the codes array of their one tensor: each is
   * `coder.group.encodeGroup([t′], cb′)` with `[t′, cb′] = compactStreamInput(t, cb)`, which is
   * what a container asks for a codebook used by that tensor alone.
   */
  readonly groups?: ReadonlyMap<CodeArray, { readonly bytes: Uint8Array; readonly tensorBytes: readonly number[] }>;
  /**
   * The CRC-32 of each stream of {@link streams} and group of {@link groups}, by its bytes,
   * computed where it was coded: the container's checksum is combined from them instead of read
   * again over every byte on this thread (`EncodeContainerOptions.knownCrc32`).
   */
  readonly crc32s?: ReadonlyMap<Uint8Array, number>;
  /** `dequantizeTensor` of each tensor of `model`, by its codes array, computed on other threads. */
  readonly dequantized?: ReadonlyMap<CodeArray, Float32Array>;
  /**
   * The error sums of each tensor of `model` against its original, by its codes array
   * (`accumulateStats(emptyStats(), original, dequantizeTensor(t, cb))`), computed on other
   * threads. A tensor here and not in {@link dequantized} was dequantized there without keeping
   * the values: the pipeline decodes it only when something reads it (core's `DequantizedAhead.lazy`),
   * and hands the sums to evaluators by decoded tensor (`AheadFacts.tensorErrorStats`).
   */
  readonly errorStats?: ReadonlyMap<CodeArray, ErrorStatsAhead>;
  /** `largestCode` (validate.ts) of each codes array of `model`, computed on other threads. */
  readonly maxCodes?: ReadonlyMap<CodeArray, number>;
  /** Evaluator inputs computed on other threads (handed to evaluators as `subject.ahead`). */
  readonly facts?: AheadFacts;
  /** The `data` arrays of `weights` in which other threads found every value finite (with {@link TensorWorkers.checksFinite}). */
  readonly finite?: ReadonlySet<Float32Array>;
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
  /**
   * True when {@link WorkerQuantization.finite} lists the tensors the workers checked: the
   * pipeline then checks only the others, after the workers, instead of every selected tensor
   * while they run. A quantization that fails is followed by the full check, so a non-finite
   * input fails with the same error as on one thread.
   */
  readonly checksFinite?: boolean;
}

/**
 * `coder`, except that a version-2 container's request for a stream coded ahead returns that
 * stream instead of coding it again. A request matches when it is the nameless stream input of
 * {@link compactStreamInput} for the same codes array; anything else is coded here.
 */
export function precodedCoder(coder: Coder, streams: ReadonlyMap<CodeArray, Uint8Array> | undefined, groups?: WorkerQuantization["groups"]): Coder {
  const compact = (t: QuantizedTensor, cb: Codebook) => t.name === "" && t.codebook === "" && cb.id === "";
  if (coder.group) {
    if (!groups || groups.size === 0) return coder;
    const g = coder.group;
    const decodeEncodedGroup = g.decodeEncodedGroup?.bind(g);
    const group: GroupCoder = {
      encodeGroup(tensors, cb) {
        const only = tensors.length === 1 ? tensors[0]! : undefined;
        return (only && compact(only, cb) ? groups.get(only.codes) : undefined) ?? g.encodeGroup(tensors, cb);
      },
      decodeGroup: (bytes, count, cb, limits) => g.decodeGroup(bytes, count, cb, limits),
      ...(decodeEncodedGroup ? { decodeEncodedGroup } : {}),
    };
    return { ...coderFunctions(coder), group };
  }
  if (!streams || streams.size === 0) return coder;
  const decodeEncoded = coder.decodeEncoded?.bind(coder);
  return {
    id: coder.id,
    encode(t, cb, facts) {
      const s = compact(t, cb) ? streams.get(t.codes) : undefined;
      return s ?? coder.encode(t, cb, facts);
    },
    decode: (bytes, limits) => coder.decode(bytes, limits),
    ...(decodeEncoded ? { decodeEncoded } : {}),
  };
}

/** `coder`'s id, encode, decode and decodeEncoded, bound (a coder may be a class instance). */
function coderFunctions(coder: Coder): Coder {
  const decodeEncoded = coder.decodeEncoded?.bind(coder);
  return { id: coder.id, encode: (t, cb, f) => coder.encode(t, cb, f), decode: (b, l) => coder.decode(b, l), ...(decodeEncoded ? { decodeEncoded } : {}) };
}
