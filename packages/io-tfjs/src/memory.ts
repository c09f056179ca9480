import { FormatError, printable, type WeightTensor } from "@quantforge/core";
import { concatBytes } from "@quantforge/core/format";
import { encodeEntry, type TfjsWeightOutput } from "./entry-encode.js";
import type { TfjsManifestGroup, TfjsModelJson, TfjsWeightEntry, TfjsWeightSpec } from "./manifest.js";
import { isFloatEntry, parseModelJson, type TfjsModelFormat } from "./parse.js";
import { MAX_MODEL_JSON_BYTES, decodeFloatEntry } from "./tfjs-decode.js";
import type { WeightTags } from "./roles.js";

/**
 * A tfjs model held in memory (the browser has files, not paths): model.json parsed and validated
 * exactly as {@link readTfjsModel} does, with each manifest group's shards concatenated.
 */
export interface TfjsMemoryModel {
  readonly format: TfjsModelFormat;
  readonly json: TfjsModelJson;
  readonly entries: readonly TfjsWeightEntry[];
  /** Per manifest group: its shards' bytes, concatenated in manifest order. */
  readonly groups: readonly Uint8Array[];
  /** Role, layer and layer kind of every weight, from the topology. */
  readonly tags: ReadonlyMap<string, WeightTags>;
  /** Bytes of model.json plus every shard. */
  readonly fileBytes: number;
}

/**
 * Reads a tfjs model from bytes: `modelJson` and its shards by file name (a shard path in the
 * manifest is matched by its last segment, as a browser hands over files without folders).
 *
 * @param where - The printable name of model.json for messages.
 * @throws {FormatError} On a malformed model.json, a missing shard, or shards whose sizes do not
 *   match the manifest (the messages of the file reader).
 */
export function readTfjsModelBytes(modelJson: Uint8Array, shards: ReadonlyMap<string, Uint8Array>, where: string): TfjsMemoryModel {
  if (modelJson.length > MAX_MODEL_JSON_BYTES) throw new FormatError(`${where} is ${modelJson.length} bytes, more than the ${MAX_MODEL_JSON_BYTES} a model.json may have. Pass the model.json that tfjs wrote.`);
  const { json, entries, groupBytes, format, tags } = parseModelJson(modelJson, where);
  let fileBytes = modelJson.length;
  const groups = json.weightsManifest.map((g, gi) => {
    const parts = g.paths.map((p) => {
      const base = p.split("/").pop()!;
      const s = shards.get(base);
      if (!s) throw new FormatError(`${where}: shard "${printable(base)}" of weight group ${gi} was not given. Select model.json together with every shard its manifest lists.`);
      return s;
    });
    const have = parts.reduce((a, p) => a + p.length, 0);
    if (have !== groupBytes[gi])
      throw new FormatError(`${where}: weight group ${gi} (${printable(g.paths.join(", "))}) holds ${have} bytes but its entries need ${groupBytes[gi]}. The shards do not match the manifest; re-export the model.`);
    fileBytes += have;
    return concatBytes(parts);
  });
  return { format, json, entries, groups, tags, fileBytes };
}

/** The stored bytes of one entry of an in-memory model (a view, not a copy). */
export function memoryEntryBytes(model: TfjsMemoryModel, entry: TfjsWeightEntry): Uint8Array {
  return model.groups[entry.group]!.subarray(entry.offset, entry.offset + entry.byteLength);
}

/** Every float32 weight of an in-memory model (dequantized, tagged), in manifest order. */
export function memoryTfjsWeights(model: TfjsMemoryModel): WeightTensor[] {
  return model.entries.filter(isFloatEntry).map((e) => ({
    name: e.spec.name,
    shape: [...e.spec.shape],
    data: decodeFloatEntry(e.spec, memoryEntryBytes(model, e)),
    ...(model.tags.get(e.spec.name) ?? {}),
  }));
}

/** One file of a model written in memory. */
export interface MemoryFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * Writes `model` with replaced weights in memory, as the file writer does for the plain-shard
 * targets: `tfjs-native` (tfjs's own uint8/uint16/float16 quantization; stock tfjs loads it) or
 * `tfjs-float` (plain float32). Every manifest entry takes its output from `outputs` by name, or
 * is kept as stored. Shards are `group1-shard<i>of<n>.bin` of at most `shardBytes`; model.json
 * keeps every other field of the original.
 *
 * @throws {TargetMismatchError} When a quantized tensor does not fit `tfjs-native`.
 */
export async function writeTfjsModelBytes(
  model: TfjsMemoryModel,
  outputs: ReadonlyMap<string, TfjsWeightOutput>,
  options: { target: "tfjs-native" | "tfjs-float"; shardBytes?: number },
): Promise<{ files: MemoryFile[]; native: Readonly<Record<string, "uint8" | "uint16" | "float16">> }> {
  const specs: TfjsWeightSpec[] = [];
  const parts: Uint8Array[] = [];
  const native: Record<string, "uint8" | "uint16" | "float16"> = {};
  for (const e of model.entries) {
    const r = await encodeEntry(e, outputs.get(e.spec.name) ?? { kind: "original" }, options.target, () => memoryEntryBytes(model, e));
    // defineProperty: a weight named "__proto__" must become an own key, not a prototype assignment.
    if (r.native) Object.defineProperty(native, e.spec.name, { value: r.native, enumerable: true, writable: true, configurable: true });
    specs.push(r.spec);
    parts.push(r.bytes);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const limit = options.shardBytes ?? 4 * 1024 * 1024;
  const n = Math.ceil(total / limit);
  const files: MemoryFile[] = [];
  for (let i = 0; i < n; i++) files.push({ name: `group1-shard${i + 1}of${n}.bin`, bytes: all.subarray(i * limit, Math.min(total, (i + 1) * limit)) });
  const group: TfjsManifestGroup = { paths: files.map((f) => f.name), weights: specs };
  const { weightsManifest: _old, ...rest } = model.json;
  const text = `${JSON.stringify({ ...rest, weightsManifest: specs.length > 0 ? [group] : [] })}\n`;
  files.unshift({ name: "model.json", bytes: new TextEncoder().encode(text) });
  return { files, native };
}
