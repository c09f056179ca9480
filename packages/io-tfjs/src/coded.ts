import { dirname, resolve } from "node:path";
import type { GraphModel, LayersModel, io } from "@tensorflow/tfjs";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { ransCoder } from "@quantforge/coder-rans";
import { DecodeError, FormatError, IoError, codebookMap, decodeContainer, dequantizeTensor, instantiate, printable, shapeSize, type Coder } from "@quantforge/core";
import { readContainedFile, readRegularFile } from "@quantforge/core/node";
import { layoutManifest, type TfjsWeightSpec } from "./manifest.js";
import { MAX_MODEL_JSON_BYTES, checkJsonContainers, decodeFloatEntry, decodeNonFloatEntry, readEntryBytes, readTfjsModel } from "./read.js";
import { CODED_TFJS_FORMAT, CODED_TFJS_VERSION, type CodedTfjsSection } from "./write.js";

/** Options of the coded-model loader. */
export interface CodedTfjsLoadOptions {
  /** Coders that may have written the container (default: quantforge's `fixed`, `huffman` and `rans`). */
  readonly coders?: readonly Coder[];
}

/** The tfjs namespace (or the part of it the loader uses). */
export interface TfjsLoaders {
  loadGraphModel(handler: io.IOHandler): Promise<GraphModel>;
  loadLayersModel(handler: io.IOHandler): Promise<LayersModel>;
}

function defaultCoders(): Coder[] {
  return [instantiate(fixedCoder()), instantiate(huffmanCoder()), instantiate(ransCoder())];
}

function section(json: Record<string, unknown>, where: string): CodedTfjsSection {
  const s = json.quantforge as CodedTfjsSection | undefined;
  if (!s || typeof s !== "object" || s.format !== CODED_TFJS_FORMAT) throw new FormatError(`${where} has no quantforge coded-weights section; it is not a tfjs-coded model. Load it with tf.loadGraphModel/loadLayersModel.`);
  if (s.version !== CODED_TFJS_VERSION) throw new FormatError(`${where} is quantforge-tfjs-coded version ${String(s.version)}; this loader reads version ${CODED_TFJS_VERSION}. Use a matching @quantforge/io-tfjs.`);
  const okWeight = (w: unknown): boolean => !!w && typeof w === "object" && typeof (w as { name?: unknown }).name === "string" && Array.isArray((w as { shape?: unknown }).shape);
  if (typeof s.container !== "string" || !Array.isArray(s.weights) || !Array.isArray(s.order) || !s.weights.every(okWeight) || !s.order.every((n) => typeof n === "string")) throw new FormatError(`${where}: the quantforge section is malformed. Re-create the model with "quantforge quantize --target tfjs-coded".`);
  return s;
}

/**
 * Reads a `tfjs-coded` model (model.json + shards + `weights.qf`) and decodes it into plain tfjs
 * model artifacts: every coded tensor is decoded and dequantized to float32 (exactly the
 * weights quantforge evaluated), the other weights are taken from the shards as tfjs would
 * (tfjs's own quantization dequantized), all in the original manifest order.
 *
 * @param modelJsonPath - Path of the coded model.json.
 * @param options - Coders to decode the container with.
 * @returns Artifacts for `tf.io.fromMemory` or an IOHandler.
 * @throws {FormatError} On a malformed model.json or a container that does not match it.
 * @throws {DecodeError} On a corrupted container.
 * @throws {IoError} When a file cannot be read.
 */
export async function readCodedTfjsArtifacts(modelJsonPath: string, options: CodedTfjsLoadOptions = {}): Promise<io.ModelArtifacts> {
  const model = await readTfjsModel(modelJsonPath);
  const s = section(model.json, modelJsonPath);
  const coders = options.coders ?? defaultCoders();
  // The container path comes from the file: contained in the model folder, a regular file.
  const bytes = await readContainedFile(dirname(model.path), s.container, { what: "coded weights" });
  const decoded = decodeContainer(bytes, (id) => {
    const c = coders.find((x) => x.id === id);
    if (!c) throw new DecodeError(`the coded weights were written with coder "${id}", which this loader does not have (it has ${coders.map((x) => x.id).join(", ")}). Pass it in options.coders.`);
    return c;
  }).model;
  const cbs = codebookMap(decoded);
  const byName = new Map(decoded.tensors.map((t) => [t.name, t]));
  const values = new Map<string, { spec: TfjsWeightSpec; data: Uint8Array }>();
  for (const w of s.weights) {
    const t = byName.get(w.name);
    if (!t) throw new FormatError(`${modelJsonPath}: coded weight "${printable(w.name)}" is not in "${printable(s.container)}". The files do not belong together; re-create the model.`);
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) throw new FormatError(`${modelJsonPath}: coded weight "${printable(w.name)}" has shape [${t.shape.join(", ")}] in the container but [${w.shape.join(", ")}] in model.json.`);
    const f = dequantizeTensor(t, cbs.get(t.codebook)!);
    values.set(w.name, { spec: { name: w.name, shape: [...w.shape], dtype: "float32" }, data: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
  }
  for (const e of model.entries) {
    const raw = await readEntryBytes(model, e);
    const { quantization: _q, ...plain } = e.spec;
    if (e.spec.dtype === "float32") {
      const f = decodeFloatEntry(e.spec, raw);
      values.set(e.spec.name, { spec: plain as TfjsWeightSpec, data: new Uint8Array(f.buffer) });
    } else {
      values.set(e.spec.name, { spec: plain as TfjsWeightSpec, data: decodeNonFloatEntry(e.spec, raw) });
    }
  }
  const specs: io.WeightsManifestEntry[] = [];
  let total = 0;
  for (const name of s.order) {
    const v = values.get(name);
    if (!v) throw new FormatError(`${modelJsonPath}: weight "${printable(name)}" is listed in the coded order but stored nowhere. Re-create the model.`);
    if (v.data.length !== shapeSize(v.spec.shape) * (v.spec.dtype === "bool" ? 1 : 4)) throw new FormatError(`${modelJsonPath}: weight "${printable(name)}" has the wrong number of bytes.`);
    specs.push(v.spec as unknown as io.WeightsManifestEntry);
    total += v.data.length;
  }
  if (values.size !== s.order.length) throw new FormatError(`${modelJsonPath}: ${values.size} weights are stored but the coded order lists ${s.order.length}. Re-create the model.`);
  const data = new Uint8Array(total);
  let o = 0;
  for (const name of s.order) {
    const v = values.get(name)!;
    data.set(v.data, o);
    o += v.data.length;
  }
  const j = model.json;
  return {
    modelTopology: j.modelTopology as io.ModelArtifacts["modelTopology"],
    format: j.format,
    generatedBy: j.generatedBy,
    convertedBy: j.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data.buffer,
    ...(j.signature ? { signature: j.signature as object } : {}),
    ...(j.userDefinedMetadata ? { userDefinedMetadata: j.userDefinedMetadata as Record<string, object> } : {}),
    ...(j.modelInitializer ? { modelInitializer: j.modelInitializer as object } : {}),
    ...(j.trainingConfig ? { trainingConfig: j.trainingConfig as io.TrainingConfig } : {}),
  };
}

/**
 * A tfjs `IOHandler` that loads a `tfjs-coded` model: pass it to `tf.loadGraphModel` or
 * `tf.loadLayersModel`.
 *
 * @example
 * const model = await tf.loadGraphModel(codedTfjsIOHandler("out/model.json"));
 */
export function codedTfjsIOHandler(modelJsonPath: string, options: CodedTfjsLoadOptions = {}): io.IOHandler {
  return { load: () => readCodedTfjsArtifacts(modelJsonPath, options) };
}

/**
 * Loads a `tfjs-coded` model into tfjs (a GraphModel or a LayersModel, by the model's format),
 * decoding the quantforge-coded weights at load time.
 *
 * @param modelJsonPath - Path of the coded model.json.
 * @param tf - The tfjs namespace (default: `import("@tensorflow/tfjs")`).
 * @param options - Coders to decode the container with.
 * @example
 * const model = await loadCodedTfjsModel("out/model.json") as tf.GraphModel;
 * const y = model.predict(x);
 */
export async function loadCodedTfjsModel(modelJsonPath: string, tf?: TfjsLoaders, options: CodedTfjsLoadOptions = {}): Promise<GraphModel | LayersModel> {
  const t: TfjsLoaders = tf ?? (await import("@tensorflow/tfjs"));
  const path = resolve(modelJsonPath);
  const raw = await readRegularFile(path, { what: "model.json", maxBytes: MAX_MODEL_JSON_BYTES });
  checkJsonContainers(raw, printable(modelJsonPath));
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(`${printable(modelJsonPath)} is not valid JSON. Re-create the model.`, e);
  }
  layoutManifest(json, modelJsonPath);
  const handler = codedTfjsIOHandler(path, options);
  const graph = json.format === "graph-model" || Array.isArray((json.modelTopology as { node?: unknown }).node);
  try {
    return graph ? await t.loadGraphModel(handler) : await t.loadLayersModel(handler);
  } catch (e) {
    if (e instanceof FormatError || e instanceof DecodeError || e instanceof IoError) throw e;
    throw new FormatError(`${modelJsonPath}: tfjs cannot build the decoded model (${(e as Error).message.split("\n")[0]}). Re-create it.`, e);
  }
}

