import { z } from "zod";
import { ShapeMismatchError } from "./errors.js";
import type { WeightTensor } from "./tensor.js";

/**
 * A channel axis as quantizer options accept it: an axis number (negative counts from the end),
 * or `"output"` / `"input"` — the axis of the layer's output / input channels as the model format
 * records it ({@link WeightTensor.outputAxis}, {@link WeightTensor.inputAxis}).
 *
 * Why symbolic axes: the output-channel axis differs between formats (last in tfjs/Keras kernels,
 * first in ONNX `Conv` weights, second-to-last in tfjs depthwise kernels), so one numeric default
 * is wrong for some model; "per channel" in toolkits means per output channel.
 */
export type ChannelAxis = number | "output" | "input";

/** zod schema of a {@link ChannelAxis} option. */
export const channelAxisSchema = z.union([z.number().int(), z.enum(["output", "input"])]);

/**
 * The non-negative axis `axis` denotes in tensor `t`.
 *
 * `"output"`/`"input"` use the tensor's `outputAxis`/`inputAxis`; without them (weight files that
 * carry no layer layout) they fall back to the TensorFlow/Keras layout `[…, in, out]`: the last
 * axis for output, the second-to-last (the only one of a rank-1 tensor) for input.
 *
 * @param plugin - Plugin id for the error message.
 * @throws {ShapeMismatchError} when the axis does not exist in the tensor.
 */
export function resolveChannelAxis(t: Pick<WeightTensor, "name" | "shape" | "outputAxis" | "inputAxis">, axis: ChannelAxis, plugin: string): number {
  const rank = t.shape.length;
  const raw = axis === "output" ? (t.outputAxis ?? -1) : axis === "input" ? (t.inputAxis ?? (rank >= 2 ? -2 : -1)) : axis;
  const a = raw < 0 ? rank + raw : raw;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    const what = typeof axis === "string" ? `the ${axis} axis (${raw})` : `channel axis ${axis}`;
    throw new ShapeMismatchError(`${plugin}: ${what} does not exist in tensor "${t.name}" of shape [${t.shape.join(", ")}]. Choose an axis in ${-rank}…${rank - 1}.`);
  }
  return a;
}
