import { manifestFileName, verifyWrittenManifest, type TfjsModel, type TfjsWeightDecoder } from "@quantforge/io-tfjs";
import type { QuantizeModelOptions } from "./options.js";

/**
 * The report note of a bare tfjs weights manifest (`*-weights_manifest.json`): it has no
 * topology, so there are no model outputs to check; with evaluation on, the written manifest is
 * instead reloaded with stock `tf.io.decodeWeights` (tfjs-coded: through the quantforge loader
 * first) and every quantized weight compared bit-exactly with the evaluated weights
 * (`QF_INTERNAL` when one differs).
 */
export async function manifestNote(m: TfjsModel, tmp: string, o: QuantizeModelOptions, decoded: ReadonlyMap<string, Float32Array>): Promise<string> {
  const none = "no model-output check: a weights manifest has weights but no topology (the library that ships it builds the network in code)";
  if (!o.evaluate || !o.tf || o.target === "qf") return `${none}.`;
  const coded = o.target === "tfjs-coded" ? (o.coder ? { coders: [o.coder.instance] } : {}) : undefined;
  const c = await verifyWrittenManifest((await o.tf()) as unknown as TfjsWeightDecoder, tmp, manifestFileName(m.path), decoded, coded);
  return `${none}; instead the written manifest was reloaded with ${c.runtime}: ${c.compared} quantized weight(s) equal the evaluated weights bit-exactly.`;
}
