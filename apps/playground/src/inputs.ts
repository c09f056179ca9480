import { FormatError, printable, type WeightSet, type WeightTensor } from "@quantforge/core";
import { MAX_ONNX_FILE_BYTES, isWeightInitializer, parseOnnxBytes, readOnnxTensor, type OnnxModel } from "@quantforge/io-onnx/browser";
import { memoryTfjsWeights, readTfjsModelBytes, type TfjsMemoryModel } from "@quantforge/io-tfjs/browser";

/**
 * Browser readers of the models the playground compares: a tfjs `model.json` with its `.bin`
 * shards (graph or layers; io-tfjs's validating reader, from bytes; float32 entries are
 * compared, others pass through), a self-contained `.onnx` file (io-onnx's validating reader;
 * FLOAT/FLOAT16 initializers, Constant and subgraph tensors are compared) and a `.safetensors`
 * file (F32 tensors). No Node APIs.
 */

/** A model the page loaded: its weights, the format downloads are written in, and the tfjs model itself. */
export interface LoadedInput {
  readonly title: string;
  readonly format: "tfjs" | "onnx" | "safetensors";
  readonly weights: WeightSet;
  /** The parsed tfjs model (tfjs input only): runs in the worker, rewritten for downloads. */
  readonly tfjs?: TfjsMemoryModel;
  /** The parsed ONNX model (ONNX input only): runs in the worker, rewritten for downloads. */
  readonly onnx?: OnnxModel;
}

/** Reads a tfjs model.json and its shards (looked up by base name). */
export function readTfjs(modelJson: Uint8Array, shards: ReadonlyMap<string, Uint8Array>, title: string): LoadedInput {
  const tfjs = readTfjsModelBytes(modelJson, shards, printable(title));
  return { title, format: "tfjs", weights: memoryTfjsWeights(tfjs), tfjs };
}

/** Reads a self-contained `.onnx` file: its FLOAT/FLOAT16 weights as float32, tagged by io-onnx (as `quantforge compare` reads them). */
export async function readOnnx(bytes: Uint8Array, title: string): Promise<LoadedInput> {
  if (bytes.length > MAX_ONNX_FILE_BYTES) throw new FormatError(`${printable(title)} is larger than 2 GiB, the protobuf limit of an .onnx file.`);
  const onnx = await parseOnnxBytes(bytes, printable(title));
  const weights: WeightTensor[] = [];
  for (const i of onnx.initializers) if (isWeightInitializer(i)) weights.push(await readOnnxTensor(onnx, i));
  return { title, format: "onnx", weights, onnx };
}

/** Reads a `.safetensors` file: 8-byte little-endian header length, JSON header, data. */
export function readSafetensors(bytes: Uint8Array, title: string): LoadedInput {
  if (bytes.length < 8) throw new FormatError(`${printable(title)} is too short to be a safetensors file.`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > bytes.length - 8) throw new FormatError(`${printable(title)}: header length ${n} runs past the end of the file.`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as typeof header;
  } catch {
    throw new FormatError(`${printable(title)}: the safetensors header is not valid JSON.`);
  }
  const base = 8 + n;
  const weights: WeightTensor[] = [];
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__" || t.dtype !== "F32") continue;
    const [a, b] = t.data_offsets;
    if (b > bytes.length - base || a > b) throw new FormatError(`${printable(title)}: tensor "${printable(name)}" lies outside the file.`);
    weights.push({ name, shape: t.shape, data: new Float32Array(bytes.slice(base + a, base + b).buffer) });
  }
  return { title, format: "safetensors", weights };
}

/** Picks the reader for the files a user selected. */
export async function readFiles(files: readonly File[]): Promise<LoadedInput> {
  const json = files.find((f) => f.name.toLowerCase().endsWith(".json"));
  const st = files.find((f) => f.name.toLowerCase().endsWith(".safetensors"));
  const onnx = files.find((f) => f.name.toLowerCase().endsWith(".onnx"));
  if (st) return readSafetensors(new Uint8Array(await st.arrayBuffer()), st.name);
  if (onnx) return readOnnx(new Uint8Array(await onnx.arrayBuffer()), onnx.name);
  if (json) {
    const shards = new Map<string, Uint8Array>();
    for (const f of files) if (f !== json) shards.set(f.name, new Uint8Array(await f.arrayBuffer()));
    return readTfjs(new Uint8Array(await json.arrayBuffer()), shards, json.name);
  }
  const names = files.map((f) => printable(f.name)).join(", ");
  throw new FormatError(`unsupported input (${names}): select a tfjs model.json with its .bin shards, one .onnx file, or a .safetensors file.`);
}

/** What the page asks to compare: the embedded sample (by URL) or the user's files. */
export type InputSource = { readonly sample: { readonly modelJson: string; readonly weights: string } } | { readonly files: readonly File[] };

/** Loads an {@link InputSource} (the sample is fetched from the app's own assets). */
export async function loadInput(src: InputSource): Promise<LoadedInput> {
  if ("sample" in src) {
    const [json, bin] = await Promise.all([fetch(src.sample.modelJson).then((r) => r.arrayBuffer()), fetch(src.sample.weights).then((r) => r.arrayBuffer())]);
    return { ...readTfjs(new Uint8Array(json), new Map([["weights.bin", new Uint8Array(bin)]]), "mnist-mlp") };
  }
  return readFiles(src.files);
}
