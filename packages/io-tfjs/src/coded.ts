import { dirname, resolve } from "node:path";
import type { GraphModel, LayersModel, io } from "@tensorflow/tfjs";
import { DecodeError, FormatError, IoError, printable, type Coder } from "@quantforge/core";
import { readContainedFile, readRegularFile } from "@quantforge/core/node";
import { codedSection, decodeCodedArtifacts, isGraphModelJson } from "./coded-impl.js";
import { layoutManifest } from "./manifest.js";
import { MAX_MODEL_JSON_BYTES, checkJsonContainers, readEntryBytes, readTfjsModel } from "./read.js";

/** Options of the coded-model loader. */
export interface CodedTfjsLoadOptions {
  /**
   * Coders that may have written the container, by id (e.g. `[instantiate(ransCoder())]`, or the
   * coders of a `PluginHost`). io-tfjs imports no coder package (design: io depends on core only);
   * a container written by a coder that is not here is a `DecodeError` naming the missing id.
   */
  readonly coders?: readonly Coder[];
}

/** The tfjs namespace (or the part of it the loader uses). */
export interface TfjsLoaders {
  loadGraphModel(handler: io.IOHandler): Promise<GraphModel>;
  loadLayersModel(handler: io.IOHandler): Promise<LayersModel>;
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
  const s = codedSection(model.json, modelJsonPath);
  // The container path comes from the file: contained in the model folder, a regular file.
  const container = await readContainedFile(dirname(model.path), s.container, { what: "coded weights" });
  return decodeCodedArtifacts({ json: model.json, entries: model.entries, container, readEntry: (e) => readEntryBytes(model, e), coders: options.coders ?? [], where: modelJsonPath });
}

/**
 * A tfjs `IOHandler` that loads a `tfjs-coded` model: pass it to `tf.loadGraphModel` or
 * `tf.loadLayersModel`.
 *
 * @example
 * const model = await tf.loadGraphModel(codedTfjsIOHandler("out/model.json", { coders: [instantiate(ransCoder())] }));
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
  const graph = isGraphModelJson(json);
  try {
    return graph ? await t.loadGraphModel(handler) : await t.loadLayersModel(handler);
  } catch (e) {
    if (e instanceof FormatError || e instanceof DecodeError || e instanceof IoError) throw e;
    throw new FormatError(`${modelJsonPath}: tfjs cannot build the decoded model (${(e as Error).message.split("\n")[0]}). Re-create it.`, e);
  }
}
