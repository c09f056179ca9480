import { join } from "node:path";
import { createSafetensorsWriter, type SafetensorsWriter } from "@quantforge/io-safetensors";
import type { Sink } from "./sink.js";

/** A safetensors file of decoded float32 weights (kept tensors as they were). */
export async function safetensorsSink(dir: string, entries: readonly { name: string; shape: readonly number[] }[], metadata: Record<string, string>): Promise<Sink> {
  const w: SafetensorsWriter = await createSafetensorsWriter(join(dir, "model.safetensors"), entries, { metadata });
  return {
    readsDecoded: true,
    async quantized(name, t, _cb, _s, decoded) {
      await w.write({ name, shape: t.shape, data: decoded() });
    },
    async kept(_name, tensor) {
      if (tensor) await w.write(tensor);
    },
    async close() {
      const h = await w.close();
      return { files: [{ name: "model.safetensors", bytes: h.fileSize }], notes: [] };
    },
    abort: () => w.abort(),
  };
}
