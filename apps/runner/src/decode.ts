import { readFile } from "node:fs/promises";
import { decodeContainer, dequantizeModel, IoError, type PluginRegistry, type WeightTensor } from "@quantforge/core";

/** What {@link decodeQf} restores. */
export interface DecodedQf {
  readonly coderId: string;
  readonly metadata: Record<string, unknown>;
  /** Dequantized tensors (passthrough tensors as stored), in the original input's order. */
  readonly weights: WeightTensor[];
}

/**
 * Puts tensors in the order recorded by `run` (`tensorOrder` in the header) when it names exactly
 * the stored tensors; otherwise keeps the container's order (quantized, then passthrough).
 */
export function restoreOrder(weights: WeightTensor[], order: unknown): WeightTensor[] {
  if (!Array.isArray(order) || order.length !== weights.length) return weights;
  const byName = new Map(weights.map((t) => [t.name, t]));
  const out: WeightTensor[] = [];
  for (const name of order) {
    const t = typeof name === "string" ? byName.get(name) : undefined;
    if (!t) return weights;
    byName.delete(name as string);
    out.push(t);
  }
  return out;
}

/**
 * Decodes `.qf` bytes with the registered coders and dequantizes them with core's fixed float32
 * expressions: exactly the weights `run` evaluated. Truncation, bit flips and wrong versions are
 * `DecodeError`s (`QF_DECODE`); a coder that is not registered is `QF_UNKNOWN_PLUGIN`.
 */
export function decodeQfBytes(bytes: Uint8Array, registry: PluginRegistry): DecodedQf {
  const { coderId, metadata, model } = decodeContainer(bytes, (id) => {
    const plugin = registry.coder(id);
    // Streams are self-describing: the decoder needs no options.
    return plugin.create(plugin.parseOptions({}));
  });
  return { coderId, metadata, weights: restoreOrder(dequantizeModel(model), metadata.tensorOrder) };
}

/** Reads and decodes a `.qf` file; a missing or unreadable file is `QF_IO`. */
export async function decodeQf(path: string, registry: PluginRegistry): Promise<DecodedQf> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new IoError(`cannot read "${path}": ${(e as Error).message}. Check the path to the .qf file.`, e);
  }
  return decodeQfBytes(bytes, registry);
}
