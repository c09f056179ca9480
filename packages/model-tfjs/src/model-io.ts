import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LayersModel, io } from "@tensorflow/tfjs";
import { FormatError, IoError, shapeSize, type WeightSet, type WeightTensor } from "@quantforge/core";
import { readContainedFile, readRegularFile } from "@quantforge/core/node";
import { MAX_MODEL_JSON_BYTES, readTfjsModel, tfjsArtifacts } from "@quantforge/io-tfjs";
import type { Tf } from "./tf.js";

/** The JSON of a tfjs layers model (`model.json`). */
export interface ModelJson {
  readonly modelTopology: object;
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly weightsManifest: readonly { readonly paths: readonly string[]; readonly weights: readonly io.WeightsManifestEntry[] }[];
  readonly [k: string]: unknown;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes a manifest entry occupies in the weight data (tfjs's own `quantization` included). */
export function manifestEntryBytes(e: io.WeightsManifestEntry, where: string): number {
  if (typeof e.name !== "string" || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new FormatError(`${where}: a weights manifest entry has no valid name/shape (${JSON.stringify(e).slice(0, 120)}). Fix model.json.`);
  }
  const n = shapeSize(e.shape);
  if (e.quantization) {
    const q = QUANT_BYTES[e.quantization.dtype as string];
    if (q === undefined) throw new FormatError(`${where}: weight "${e.name}" has unsupported quantization dtype ${String(e.quantization.dtype)}. Use uint8, uint16 or float16.`);
    return n * q;
  }
  const b = DTYPE_BYTES[e.dtype];
  if (b === undefined) throw new FormatError(`${where}: weight "${e.name}" has unsupported dtype ${String(e.dtype)}. Use float32 or int32.`);
  return n * b;
}

/** A validated `model.json` with its weight data. */
export interface TfjsArtifacts {
  readonly json: ModelJson;
  readonly weightSpecs: io.WeightsManifestEntry[];
  readonly weightData: ArrayBuffer;
}

/**
 * Reads `model.json` and its weight shards and checks them against the manifest through
 * io-tfjs's reader (the one file policy: shards contained in the model folder, regular files
 * only, sizes checked before allocation): every shard must exist and the bytes of each group
 * must equal what its entries need (dtype and tfjs quantization included). Throws
 * {@link FormatError} on malformed JSON, a shard outside the folder or a mismatch,
 * {@link IoError} on a missing file.
 */
export async function readTfjsArtifacts(modelJsonPath: string): Promise<TfjsArtifacts> {
  const m = await readTfjsModel(modelJsonPath);
  const a = await tfjsArtifacts(m, { stock: true });
  return { json: m.json as unknown as ModelJson, weightSpecs: a.weightSpecs ?? [], weightData: a.weightData as ArrayBuffer };
}

/**
 * Builds the tfjs LayersModel from validated artifacts (`tf.io.fromMemory`, no file-system
 * handler needed). tfjs's own complaints (unknown layer, weight missing from or extra in the
 * manifest, shape mismatch) become {@link FormatError}.
 */
export async function layersModelFromArtifacts(tf: Tf, a: TfjsArtifacts, where: string): Promise<LayersModel> {
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.json.modelTopology, weightSpecs: a.weightSpecs, weightData: a.weightData }));
  } catch (e) {
    throw new FormatError(`${where}: tfjs cannot build the model (${(e as Error).message.split("\n")[0]}). The topology and the weights manifest do not match; re-export the model.`, e);
  }
}

/** Writes bytes atomically (temp file + rename). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    throw new IoError(`cannot write "${path}": ${(e as Error).message}. Check the directory.`, e);
  }
}

/**
 * Saves a LayersModel as `model.json` + one `weights.bin` shard in `dir` (tfjs's own format;
 * loads with `tf.loadLayersModel`). With `weights`, those values (e.g. dequantized ones) are
 * written instead of the model's own, matched by name; a missing name or wrong size throws.
 */
export async function saveLayersModel(tf: Tf, model: LayersModel, dir: string, weights?: WeightSet): Promise<void> {
  let artifacts: io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  const a = artifacts!;
  let data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData));
  const specs = a.weightSpecs ?? [];
  if (weights) {
    const byName = new Map(weights.map((t) => [t.name, t]));
    data = new Uint8Array(data);
    let o = 0;
    for (const s of specs) {
      const n = shapeSize(s.shape);
      const t = byName.get(s.name);
      if (s.dtype === "float32" && !s.quantization) {
        if (!t) throw new FormatError(`cannot save: the weight set has no tensor "${s.name}". Pass every parameter of the model.`);
        if (t.data.length !== n) throw new FormatError(`cannot save: tensor "${s.name}" has ${t.data.length} values, the model needs ${n}.`);
        // Byte copy: the entry's offset need not be 4-aligned when bool tensors precede it.
        data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, n * 4), o);
      }
      o += manifestEntryBytes(s, dir);
    }
  }
  const json = {
    modelTopology: a.modelTopology,
    format: a.format ?? "layers-model",
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs }],
  };
  writeFileAtomic(join(dir, "weights.bin"), data);
  writeFileAtomic(join(dir, "model.json"), `${JSON.stringify(json)}\n`);
}

/** File names of Adam's saved moments beside `model.json`. */
export const MOMENTS_JSON = "adam-moments.json";
/** Binary companion of {@link MOMENTS_JSON}: float32 little-endian, tensors in manifest order. */
export const MOMENTS_BIN = "adam-moments.bin";

/** Header of the moments file. */
export interface MomentsManifest {
  readonly format: "quantforge-adam-second-moments";
  readonly version: 1;
  /** True: the values are v̂ = v / (1 − β2^t), Adam's bias-corrected second moments. */
  readonly biasCorrected: true;
  readonly optimizer: { readonly name: "adam"; readonly learningRate: number; readonly beta1: number; readonly beta2: number; readonly epsilon: number };
  /** Adam steps taken (t). */
  readonly iterations: number;
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: "float32" }[];
  readonly paths: readonly string[];
}

/** Writes v̂ per parameter as `adam-moments.json` + `adam-moments.bin`. */
export function writeMoments(dir: string, header: Omit<MomentsManifest, "format" | "version" | "biasCorrected" | "weights" | "paths">, moments: WeightSet): void {
  const total = moments.reduce((s, t) => s + t.data.length, 0);
  const data = new Float32Array(total);
  let o = 0;
  for (const t of moments) {
    data.set(t.data, o);
    o += t.data.length;
  }
  const manifest: MomentsManifest = {
    format: "quantforge-adam-second-moments",
    version: 1,
    biasCorrected: true,
    ...header,
    weights: moments.map((t) => ({ name: t.name, shape: [...t.shape], dtype: "float32" as const })),
    paths: [MOMENTS_BIN],
  };
  writeFileAtomic(join(dir, MOMENTS_BIN), new Uint8Array(data.buffer));
  writeFileAtomic(join(dir, MOMENTS_JSON), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Reads the moments written by {@link writeMoments}; validates header and sizes ({@link FormatError}). */
export async function readMoments(dir: string): Promise<{ manifest: MomentsManifest; moments: WeightTensor[] }> {
  const path = join(dir, MOMENTS_JSON);
  let m: MomentsManifest;
  const text = new TextDecoder().decode(await readRegularFile(path, { what: "Adam moments", maxBytes: MAX_MODEL_JSON_BYTES }));
  try {
    m = JSON.parse(text) as MomentsManifest;
  } catch (e) {
    throw new FormatError(`${path} is not valid JSON. Retrain the model to regenerate it.`, e);
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- `as unknown` stops Array.isArray from narrowing a readonly T[] to any[]
  if (m?.format !== "quantforge-adam-second-moments" || m.version !== 1 || !Array.isArray(m.weights as unknown) || !Array.isArray(m.paths as unknown)) {
    throw new FormatError(`${path} is not a version-1 quantforge Adam moments file. Retrain the model to regenerate it.`);
  }
  for (const w of m.weights as unknown[]) {
    const o = w as { name?: unknown; shape?: unknown } | null;
    if (!o || typeof o.name !== "string" || !Array.isArray(o.shape) || !o.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new FormatError(`${path} lists a malformed moment entry. Retrain the model to regenerate it.`);
  }
  const bytes: Uint8Array[] = [];
  // Paths inside the moments file: contained in the model folder, regular files only.
  for (const p of m.paths) bytes.push(await readContainedFile(dir, p, { what: "Adam moments shard" }));
  const total = bytes.reduce((s, b) => s + b.length, 0);
  const need = m.weights.reduce((s, w) => s + shapeSize(w.shape) * 4, 0);
  if (total !== need) throw new FormatError(`${path}: the moment data has ${total} bytes but the manifest needs ${need}. Retrain the model to regenerate it.`);
  const all = new Uint8Array(total);
  let o = 0;
  for (const b of bytes) {
    all.set(b, o);
    o += b.length;
  }
  const f = new Float32Array(all.buffer);
  o = 0;
  const moments = m.weights.map((w) => {
    const n = shapeSize(w.shape);
    const t: WeightTensor = { name: w.name, shape: [...w.shape], data: f.slice(o, o + n) };
    o += n;
    return t;
  });
  return { manifest: m, moments };
}
