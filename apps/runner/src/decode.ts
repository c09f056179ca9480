import { dequantizeModel, type WeightTensor } from "@quantforge/core";
import { createHost, type PluginRegistry } from "@quantforge/core/host";
import { decodeContainer, type DecodeContainerOptions } from "@quantforge/core/format";
import { readRegularFile } from "@quantforge/core/node";
import { defaultMaxMemory } from "./options.js";

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
export function decodeQfBytes(bytes: Uint8Array, registry: PluginRegistry, limits: DecodeLimitsFlags = {}): DecodedQf {
  const { coderId, metadata, model } = decodeContainer(
    bytes,
    (id) => {
      const plugin = registry.coder(id);
      // Streams are self-describing: the decoder needs no options.
      return plugin.create(plugin.parseOptions({}), createHost(registry, { coders: [id] }));
    },
    containerOptions(limits),
  );
  return { coderId, metadata, weights: restoreOrder(dequantizeModel(model), metadata.tensorOrder) };
}

/** The `--max-memory` of a decode; absent = {@link defaultMaxMemory} plus the expansion limit. */
export interface DecodeLimitsFlags {
  /** Bytes the decode may claim (file plus decoded tensors), as the user gave it. */
  readonly maxMemory?: number;
}

function containerOptions(flags: DecodeLimitsFlags): DecodeContainerOptions {
  // An explicit --max-memory is the user vouching for the file: only the memory cap applies.
  return flags.maxMemory !== undefined ? { maxDecodedBytes: flags.maxMemory, limitExpansion: false } : { maxDecodedBytes: defaultMaxMemory() };
}

/**
 * Reads and decodes a `.qf` file. Only a regular file is read (a FIFO or device is `QF_IO`, never
 * a hang) and only up to the memory budget; a missing or unreadable file is `QF_IO`.
 */
export async function decodeQf(path: string, registry: PluginRegistry, limits: DecodeLimitsFlags = {}): Promise<DecodedQf> {
  const bytes = await readRegularFile(path, { what: ".qf file", maxBytes: limits.maxMemory ?? defaultMaxMemory() });
  return decodeQfBytes(bytes, registry, limits);
}
