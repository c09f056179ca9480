import type { io } from "@tensorflow/tfjs";
import { readEntryBytes, type TfjsModel } from "./read.js";
import { buildTfjsArtifacts } from "./run-model.js";

export { buildTfjsArtifacts, loadTfjsFromArtifacts, tfjsInputSpecs, checkFeeds, runTfjsModel } from "./run-model.js";
export type { TfjsRuntime, ModelInputSpec, ModelOutput, ModelFeed } from "./run-model.js";

/**
 * Model artifacts of `model` for `tf.io.fromMemory` (see {@link buildTfjsArtifacts}; `stock`:
 * the files exactly as stored, else plain float32 weights, from `weights` when given).
 */
export async function tfjsArtifacts(model: TfjsModel, opts: { stock?: boolean; weights?: ReadonlyMap<string, Float32Array> } = {}): Promise<io.ModelArtifacts> {
  return buildTfjsArtifacts(model.json, model.entries, (e) => readEntryBytes(model, e), opts);
}
