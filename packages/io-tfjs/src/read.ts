import { dirname, resolve } from "node:path";
import { FormatError, IoError, printable, type WeightSet, type WeightTensor } from "@quantforge/core";
import { openRegularFile, readRegularFile, resolveContained } from "@quantforge/core/node";
import type { TfjsModelJson, TfjsWeightEntry } from "./manifest.js";
import type { WeightTags } from "./roles.js";
import { MAX_MODEL_JSON_BYTES, decodeFloatEntry } from "./tfjs-decode.js";
import { isFloatEntry, parseModelJson, type TfjsModelFormat } from "./parse.js";

export { MAX_MODEL_JSON_BYTES, MAX_MODEL_JSON_CONTAINERS, checkJsonContainers, decodeFloatEntry, decodeNonFloatEntry } from "./tfjs-decode.js";
export { isFloatEntry, isWeightsManifestPath, parseModelJson } from "./parse.js";
export type { TfjsModelFormat } from "./parse.js";

/** The shards of one manifest group, resolved (inside the model folder) to real paths, with their sizes. */
export interface TfjsShardGroup {
  readonly paths: readonly string[];
  readonly sizes: readonly number[];
}

/**
 * A validated tfjs model: its model.json, every weight entry laid out in the shards, and what
 * the topology says about each weight. Weight data are read on demand ({@link readTfjsTensor},
 * {@link streamTfjsWeights}), so a large model need not fit in memory.
 */
export interface TfjsModel {
  /** Absolute path of model.json. */
  readonly path: string;
  /** Directory the shard paths are relative to. */
  readonly dir: string;
  readonly format: TfjsModelFormat;
  readonly json: TfjsModelJson;
  /** Every manifest entry, in manifest order. */
  readonly entries: readonly TfjsWeightEntry[];
  /** Shards per manifest group. */
  readonly groups: readonly TfjsShardGroup[];
  /** Bytes of model.json plus every shard: the size of the model on disk. */
  readonly fileBytes: number;
  /** Role, layer and layer kind of every weight, from the topology. */
  readonly tags: ReadonlyMap<string, WeightTags>;
}

/**
 * Resolves every shard of every manifest group inside `dir` (the folder of the file that lists
 * them) and checks that each group holds exactly the bytes its entries need. Shard paths that are
 * absolute, climb out with `..` or reach outside through a symlink are refused without looking at
 * what they name; only regular files are accepted (sized with `fstat` on the opened file).
 *
 * @throws {FormatError} On a shard outside the folder, a missing shard, or a size mismatch.
 * @throws {IoError} On a shard that is not a regular file or cannot be opened.
 */
export async function resolveShards(json: Pick<TfjsModelJson, "weightsManifest">, dir: string, groupBytes: readonly number[], where: string): Promise<TfjsShardGroup[]> {
  const groups: TfjsShardGroup[] = [];
  for (let gi = 0; gi < json.weightsManifest.length; gi++) {
    const g = json.weightsManifest[gi]!;
    const paths: string[] = [];
    const sizes: number[] = [];
    for (const ref of g.paths) {
      let real: string;
      try {
        real = await resolveContained(dir, ref, "shard");
      } catch (e) {
        // Say which group lacks the shard; "leaves the model folder" errors stay as they are.
        if (e instanceof FormatError && /is missing from the model folder/.test(e.message))
          throw new FormatError(`${where}: shard "${printable(ref)}" of weight group ${gi} is missing from the model folder. Copy every shard listed in the manifest next to it.`, e);
        throw e;
      }
      const f = await openRegularFile(real, { what: `shard "${printable(ref)}"` });
      await f.handle.close();
      paths.push(real);
      sizes.push(f.size);
    }
    const have = sizes.reduce((a, b) => a + b, 0);
    if (have !== groupBytes[gi]) {
      const names = g.weights.slice(0, 4).map((w) => printable(w.name, 60));
      throw new FormatError(
        `${where}: weight group ${gi} (${printable(g.paths.join(", "))}) holds ${have} bytes but its entries (${names.join(", ")}${g.weights.length > 4 ? ", …" : ""}) need ${groupBytes[gi]}. The shards do not match the manifest; re-export the model.`,
      );
    }
    groups.push({ paths, sizes });
  }
  return groups;
}

/**
 * Reads and validates a tfjs model.json (layers or graph model) or a bare weights manifest
 * (`*-weights_manifest.json`, format `weights-manifest`; roles from names and shapes) and its shard files, without
 * reading the weight data: every shard must exist, and the shards of each group must hold
 * exactly the bytes its entries need (dtype and tfjs quantization included).
 *
 * @param modelJsonPath - Path of model.json.
 * @returns The validated model.
 * @throws {IoError} When model.json cannot be read.
 * @throws {FormatError} On malformed JSON, a malformed manifest, an unknown dtype, a missing
 *   shard, or shard sizes that do not match the manifest.
 * @example
 * const m = await readTfjsModel("model/model.json");
 * for await (const t of streamTfjsWeights(m)) console.log(t.name, t.shape);
 */
export async function readTfjsModel(modelJsonPath: string): Promise<TfjsModel> {
  const path = resolve(modelJsonPath);
  const where = printable(modelJsonPath);
  // The user's file itself: a regular file (a FIFO or device is refused at once, never read).
  const raw = await readRegularFile(path, { what: "model.json", maxBytes: MAX_MODEL_JSON_BYTES });
  const { json, entries, groupBytes, format, tags } = parseModelJson(raw, where);
  const dir = dirname(path);
  const groups = await resolveShards(json, dir, groupBytes, where);
  const fileBytes = raw.length + groups.reduce((a, g) => a + g.sizes.reduce((x, y) => x + y, 0), 0);
  return { path, dir, format, json, entries, groups, fileBytes, tags };
}

/**
 * Reads the stored bytes of one entry (they may span shards), as tfjs stores them: little-endian
 * values of the entry's dtype or of its quantization dtype.
 *
 * @throws {FormatError} When a shard shrank since the model was read.
 * @throws {IoError} When a shard cannot be read.
 */
export async function readEntryBytes(model: TfjsModel, entry: TfjsWeightEntry): Promise<Uint8Array> {
  const g = model.groups[entry.group]!;
  const out = new Uint8Array(entry.byteLength);
  let want = entry.offset; // position inside the group
  let filled = 0;
  let base = 0;
  for (let k = 0; k < g.paths.length && filled < out.length; k++) {
    const size = g.sizes[k]!;
    if (want < base + size) {
      const from = want - base;
      const n = Math.min(size - from, out.length - filled);
      // Shard paths were resolved inside the model folder by readTfjsModel; open them as regular files again (never a FIFO swapped in since).
      const f = await openRegularFile(g.paths[k]!, { what: "shard" });
      try {
        let got = 0;
        while (got < n) {
          const r = await f.handle.read(out, filled + got, n - got, from + got);
          if (r.bytesRead === 0) throw new FormatError(`shard "${printable(g.paths[k]!)}" is shorter than when the model was read. Re-export the model.`);
          got += r.bytesRead;
        }
      } catch (e) {
        if (e instanceof FormatError) throw e;
        throw new IoError(`cannot read shard "${printable(g.paths[k]!)}": ${printable((e as Error).message, 120)}. Check the file.`, e);
      } finally {
        await f.handle.close();
      }
      filled += n;
      want += n;
    }
    base += size;
  }
  return out;
}

/** Reads one float32 entry as a weight tensor (dequantized; tagged with its role and layer). */
export async function readTfjsTensor(model: TfjsModel, entry: TfjsWeightEntry): Promise<WeightTensor> {
  if (!isFloatEntry(entry)) throw new FormatError(`weight "${printable(entry.spec.name)}" is ${entry.spec.dtype}, not float32; it is not a quantizable weight.`);
  const data = decodeFloatEntry(entry.spec, await readEntryBytes(model, entry));
  const tags = model.tags.get(entry.spec.name);
  return { name: entry.spec.name, shape: [...entry.spec.shape], data, ...(tags ?? {}) };
}

/**
 * Yields the float32 weights one at a time in manifest order (int32/bool entries are skipped:
 * they are not weights to quantize). Peak memory is about the largest tensor.
 */
export async function* streamTfjsWeights(model: TfjsModel): AsyncGenerator<WeightTensor, void, undefined> {
  for (const e of model.entries) if (isFloatEntry(e)) yield await readTfjsTensor(model, e);
}

/**
 * Loads every float32 weight of a tfjs model (dequantized, tagged).
 *
 * @param modelJsonPath - Path of model.json.
 * @example const ws = await loadTfjsWeights("model/model.json");
 */
export async function loadTfjsWeights(modelJsonPath: string): Promise<WeightSet> {
  const m = await readTfjsModel(modelJsonPath);
  const out: WeightTensor[] = [];
  for await (const t of streamTfjsWeights(m)) out.push(t);
  return out;
}
