import { FormatError, printable } from "@quantforge/core";
import { layoutManifest, type TfjsModelJson, type TfjsWeightEntry } from "./manifest.js";
import { graphModelTags, layersModelTags, manifestTags, type WeightTags } from "./roles.js";
import { checkJsonContainers } from "./tfjs-decode.js";

// The pure part of reading a tfjs model.json (bytes in, no Node APIs): shared by the file reader
// (read.ts) and the in-memory reader of the browser build (memory.ts); the entry decoders and
// size limits are tfjs-decode.ts's.

/**
 * The kinds of tfjs weight files: the two kinds of model.json, and a bare weights manifest
 * (`*-weights_manifest.json`: a JSON array of `{paths, weights}` groups, no topology — what
 * face-api and other libraries that build their network in code ship).
 */
export type TfjsModelFormat = "layers-model" | "graph-model" | "weights-manifest";

/** True when `path` names a bare tfjs weights manifest by its name (`…weights_manifest.json`). */
export function isWeightsManifestPath(path: string): boolean {
  return /weights_manifest\.json$/i.test(path);
}

/** True when `path` names the topology of a pre-1.0 tfjs graph model (`tensorflowjs_model.pb`, beside a `weights_manifest.json`). */
export function isLegacyTfjsTopologyPath(path: string): boolean {
  return /(^|[\\/])tensorflowjs_model\.pb$/i.test(path);
}

/**
 * What to tell a user who passed a pre-1.0 tfjs graph model (tfjs-converter 0.x wrote a frozen
 * GraphDef, `tensorflowjs_model.pb`, beside `weights_manifest.json`; packages such as handtrackjs
 * still ship one): quantforge cannot run that topology, but its weights read as a bare manifest.
 */
export function legacyTfjsAdvice(where: string): string {
  return `${where} is a pre-1.0 TensorFlow.js graph model (tensorflowjs_model.pb + weights_manifest.json), whose topology quantforge cannot run. Quantize its weights through the weights_manifest.json beside it (quantize <manifest>, run --weights), or convert the original model again with a current tensorflowjs_converter.`;
}

/** True for entries that are float32 tensors in the model (quantforge's weights). */
export function isFloatEntry(e: TfjsWeightEntry): boolean {
  return e.spec.dtype === "float32";
}

function detectFormat(json: TfjsModelJson): TfjsModelFormat {
  if (json.format === "weights-manifest") return "weights-manifest";
  if (json.format === "graph-model") return "graph-model";
  if (json.format === "layers-model") return "layers-model";
  const t = json.modelTopology;
  if (Array.isArray(t.node)) return "graph-model";
  return "layers-model";
}

/**
 * Parses and validates the bytes of a model.json (or a bare weights manifest, wrapped as a
 * model.json without topology): size in JSON containers, UTF-8, JSON, the manifest's layout, the
 * format and the role of every weight from the topology. Shards are not looked at.
 *
 * @param raw - The file's bytes.
 * @param where - The printable file name for messages.
 * @throws {FormatError} On anything that is not a tfjs model.json.
 */
export function parseModelJson(raw: Uint8Array, where: string): { json: TfjsModelJson; entries: TfjsWeightEntry[]; groupBytes: number[]; format: TfjsModelFormat; tags: Map<string, WeightTags> } {
  checkJsonContainers(raw, where);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch (e) {
    throw new FormatError(isLegacyTfjsTopologyPath(where) ? legacyTfjsAdvice(where) : `${where} is not UTF-8 text; it is not a tfjs model.json. Pass the model.json that tfjs wrote.`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${where} is not valid JSON (${printable((e as Error).message, 120)}). Fix or regenerate it.`, e);
  }
  // A bare weights manifest is an array of groups: wrap it as a model.json without topology.
  // A tfjs-coded manifest keeps its quantforge section on the first group (the array has no other place).
  if (Array.isArray(parsed)) {
    const first = parsed[0] as { quantforge?: unknown } | undefined;
    parsed = { format: "weights-manifest", modelTopology: {}, weightsManifest: parsed, ...(first && typeof first === "object" && first.quantforge !== undefined ? { quantforge: first.quantforge } : {}) };
  }
  const { json, entries, groupBytes } = layoutManifest(parsed, where);
  const format = detectFormat(json);
  const names = entries.map((e) => e.spec.name);
  const tags = format === "graph-model" ? graphModelTags(json.modelTopology, names) : format === "weights-manifest" ? manifestTags(entries.map((e) => e.spec)) : layersModelTags(json.modelTopology, names);
  return { json, entries, groupBytes, format, tags };
}
