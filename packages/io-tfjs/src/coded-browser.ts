import type { GraphModel, LayersModel, io } from "@tensorflow/tfjs";
import { DecodeError, FormatError, IoError, printable, type Coder } from "@quantforge/core";
import { concatBytes } from "@quantforge/core/format";
import { codedSection, decodeCodedArtifacts, isGraphModelJson } from "./coded-impl.js";
import { layoutManifest, type TfjsModelJson, type TfjsWeightEntry } from "./manifest.js";
import { MAX_MODEL_JSON_BYTES, checkJsonContainers } from "./tfjs-decode.js";

/*
 * The browser entry of @quantforge/io-tfjs (`@quantforge/io-tfjs/coded-browser`): loads a tfjs-coded
 * model (model.json + shards + weights.qf) by URL or from buffers, with no Node API, and hands
 * plain artifacts to stock `tf.loadGraphModel` / `tf.loadLayersModel`. It imports no coder: the
 * caller passes the coders the container may use (e.g. `instantiate(ransCoder())`).
 */

/** Bytes as a page has them: an ArrayBuffer, a view, or a Blob/File. */
export type BrowserBytes = ArrayBuffer | ArrayBufferView | Blob;

/**
 * Where a coded model comes from: the URL of its model.json (shards and container are fetched
 * beside it), or model.json and the files it names as buffers (e.g. from `<input type="file"
 * multiple>`; a file is looked up by the path model.json gives, then by its last segment).
 */
export type CodedTfjsSource = string | URL | { readonly modelJson: BrowserBytes | string; readonly files: ReadonlyMap<string, BrowserBytes> | Readonly<Record<string, BrowserBytes>> };

/** Options of the browser loader. */
export interface CodedTfjsBrowserOptions {
  /** Coders the container may have been written with (matched by id). */
  readonly coders: readonly Coder[];
  /** The fetch to use (default: the global one). */
  readonly fetch?: (url: string) => Promise<Response>;
}

/** The tfjs namespace (or the part of it the loader uses). */
export interface TfjsBrowserLoaders {
  loadGraphModel(handler: io.IOHandler): Promise<GraphModel>;
  loadLayersModel(handler: io.IOHandler): Promise<LayersModel>;
}

async function bytesOf(b: BrowserBytes | string): Promise<Uint8Array> {
  if (typeof b === "string") return new TextEncoder().encode(b);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(await b.arrayBuffer());
}

/** Reads the files model.json names: fetched beside it (never outside its folder) or looked up. */
type FileReader = (ref: string, what: string) => Promise<Uint8Array>;

function urlReader(modelUrl: string, fetchFn: (url: string) => Promise<Response>): FileReader {
  const folder = new URL(".", modelUrl).href;
  return async (ref, what) => {
    // A path from the file must stay in the model's folder: no other origin, no "..", no "/x".
    const url = new URL(ref, modelUrl).href;
    if (/^[a-z][a-z0-9+.-]*:|^[/\\]/i.test(ref) || !url.startsWith(folder) || ref.split(/[/\\]/).includes("..")) throw new FormatError(`${what} "${printable(ref)}" leaves the model's folder. The model.json is corrupted or hostile.`);
    return fetchBytes(url, what, fetchFn);
  };
}

async function fetchBytes(url: string, what: string, fetchFn: (url: string) => Promise<Response>): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new IoError(`cannot fetch ${what} ${printable(url)}: ${printable((e as Error).message, 120)}. Check the URL.`, e);
  }
  if (!res.ok) throw new IoError(`cannot fetch ${what} ${printable(url)}: HTTP ${res.status}. Check that it is served beside model.json.`);
  return new Uint8Array(await res.arrayBuffer());
}

function mapReader(files: ReadonlyMap<string, BrowserBytes> | Readonly<Record<string, BrowserBytes>>): FileReader {
  const get = (k: string): BrowserBytes | undefined => (files instanceof Map ? (files as ReadonlyMap<string, BrowserBytes>).get(k) : Object.hasOwn(files, k) ? (files as Record<string, BrowserBytes>)[k] : undefined);
  return async (ref, what) => {
    const b = get(ref) ?? get(ref.split(/[/\\]/).pop()!);
    if (!b) throw new IoError(`${what} "${printable(ref)}" is not among the given files. Pass every file model.json names.`);
    return bytesOf(b);
  };
}

/** The stored bytes of every entry, from the shards of its manifest group (each fetched once). */
function shardEntries(json: TfjsModelJson, groupBytes: readonly number[], read: FileReader, where: string): (e: TfjsWeightEntry) => Promise<Uint8Array> {
  const groups = new Map<number, Promise<Uint8Array>>();
  const group = async (gi: number): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    for (const ref of json.weightsManifest[gi]!.paths) parts.push(await read(ref, "shard"));
    const have = parts.reduce((a, p) => a + p.length, 0);
    if (have !== groupBytes[gi]) throw new FormatError(`${where}: weight group ${gi} holds ${have} bytes but its entries need ${groupBytes[gi]}. The shards do not match the manifest; re-export the model.`);
    return concatBytes(parts);
  };
  return async (e) => {
    let g = groups.get(e.group);
    if (!g) groups.set(e.group, (g = group(e.group)));
    return (await g).subarray(e.offset, e.offset + e.byteLength);
  };
}

/**
 * Reads a tfjs-coded model in a page and decodes it into plain tfjs artifacts (float32 coded
 * weights, exactly the ones quantforge evaluated; other weights as tfjs would load them).
 *
 * @throws {FormatError} On a malformed model.json, a file path leaving the model's folder, or
 *   files that do not belong together.
 * @throws {DecodeError} On a corrupted container or a coder missing from `options.coders`.
 * @throws {IoError} When a file cannot be fetched or is not given.
 */
export async function readCodedTfjsArtifactsFrom(source: CodedTfjsSource, options: CodedTfjsBrowserOptions): Promise<io.ModelArtifacts> {
  let raw: Uint8Array, read: FileReader, where: string;
  if (typeof source === "string" || source instanceof URL) {
    let url: string;
    try {
      url = new URL(String(source), globalThis.location?.href).href;
    } catch (e) {
      throw new IoError(`"${printable(String(source))}" is not a URL of a model.json (relative URLs need a page). Pass an absolute URL.`, e);
    }
    const fetchFn = options.fetch ?? ((u: string) => fetch(u));
    read = urlReader(url, fetchFn);
    where = printable(url);
    raw = await fetchBytes(url, "model.json", fetchFn);
  } else {
    read = mapReader(source.files);
    where = "model.json";
    raw = await bytesOf(source.modelJson);
  }
  if (raw.length > MAX_MODEL_JSON_BYTES) throw new FormatError(`${where} has ${raw.length} bytes (at most ${MAX_MODEL_JSON_BYTES} are read): it is not a tfjs model.json. Pass the model.json quantforge wrote.`);
  checkJsonContainers(raw, where);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw new FormatError(`${where} is not valid JSON. Re-create the model.`, e);
  }
  const { json, entries, groupBytes } = layoutManifest(parsed, where);
  const s = codedSection(json, where);
  const container = await read(s.container, "coded weights");
  return decodeCodedArtifacts({ json, entries, container, readEntry: shardEntries(json, groupBytes, read, where), coders: options.coders, where });
}

/**
 * A tfjs `IOHandler` for a tfjs-coded model in the browser: pass it to `tf.loadGraphModel` or
 * `tf.loadLayersModel`.
 *
 * @example
 * const model = await tf.loadGraphModel(codedTfjsBrowserIOHandler("/models/mnist/model.json", { coders: [instantiate(ransCoder())] }));
 */
export function codedTfjsBrowserIOHandler(source: CodedTfjsSource, options: CodedTfjsBrowserOptions): io.IOHandler {
  return { load: () => readCodedTfjsArtifactsFrom(source, options) };
}

/**
 * Loads a tfjs-coded model in the browser as a GraphModel or LayersModel (by its model.json),
 * decoding the coded weights at load time.
 *
 * @param tf - The tfjs namespace (`import * as tf from "@tensorflow/tfjs"`).
 * @example
 * const model = await loadCodedTfjsModelFrom("/models/mnist/model.json", tf, { coders: [instantiate(ransCoder()), instantiate(huffmanCoder())] });
 */
export async function loadCodedTfjsModelFrom(source: CodedTfjsSource, tf: TfjsBrowserLoaders, options: CodedTfjsBrowserOptions): Promise<GraphModel | LayersModel> {
  const artifacts = await readCodedTfjsArtifactsFrom(source, options);
  const handler: io.IOHandler = { load: async () => artifacts };
  try {
    return isGraphModelJson(artifacts as unknown as Record<string, unknown>) ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (e) {
    if (e instanceof FormatError || e instanceof DecodeError || e instanceof IoError) throw e;
    throw new FormatError(`tfjs cannot build the decoded model (${(e as Error).message.split("\n")[0]}). Re-create it.`, e);
  }
}

export { CODED_TFJS_FORMAT, CODED_TFJS_VERSION, CODED_CONTAINER_FILE, type CodedTfjsSection } from "./coded-format.js";
