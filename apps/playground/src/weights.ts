import { FormatError, printable, type WeightSet, type WeightTensor } from "@quantforge/core";

/**
 * Browser readers of the weights the playground compares: a tfjs `model.json` with its `.bin`
 * shards (graph or layers; float32 entries are compared, others pass through unread) and a
 * `.safetensors` file (F32 tensors). Pure: bytes in, {@link WeightSet} out, no Node APIs.
 */

/** A model the page loaded: its weights and the format downloads are written in. */
export interface LoadedWeights {
  readonly title: string;
  readonly format: "tfjs" | "safetensors";
  readonly weights: WeightSet;
}

interface ManifestEntry { readonly name: string; readonly shape: number[]; readonly dtype: string }
interface ManifestGroup { readonly paths: string[]; readonly weights: ManifestEntry[] }

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, int8: 1, float16: 2, uint16: 2, int16: 2 };

/** Reads a tfjs model.json and its shards (looked up by base name among `files`). */
export function readTfjs(modelJson: string, shards: ReadonlyMap<string, Uint8Array>, title: string): LoadedWeights {
  let doc: { weightsManifest?: ManifestGroup[] };
  try { doc = JSON.parse(modelJson); } catch { throw new FormatError(`${printable(title)} is not valid JSON. Pass a tfjs model.json.`); }
  if (!Array.isArray(doc.weightsManifest)) throw new FormatError(`${printable(title)} has no weightsManifest. Pass a tfjs model.json (graph or layers).`);
  const weights: WeightTensor[] = [];
  for (const group of doc.weightsManifest) {
    const parts = group.paths.map((p) => {
      const base = p.split("/").pop()!;
      const s = shards.get(base);
      if (!s) throw new FormatError(`weight shard "${printable(base)}" named in ${printable(title)} was not given. Select model.json together with all its .bin files.`);
      return s;
    });
    const total = parts.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    let off = 0;
    for (const w of group.weights) {
      if ((w as { quantization?: unknown }).quantization) throw new FormatError(`weight "${printable(w.name)}" is already quantized; pass a float32 model.`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const size = n * (BYTES[w.dtype] ?? NaN);
      if (!Number.isFinite(size)) throw new FormatError(`weight "${printable(w.name)}" has dtype ${printable(w.dtype)}, which tfjs does not write.`);
      if (off + size > total) throw new FormatError(`the shards of ${printable(title)} hold ${total} bytes, fewer than the manifest lists. Select every .bin file.`);
      if (w.dtype === "float32") weights.push({ name: w.name, shape: w.shape, data: new Float32Array(buf.slice(off, off + size).buffer) });
      off += size;
    }
  }
  return { title, format: "tfjs", weights };
}

/** Reads a `.safetensors` file: 8-byte little-endian header length, JSON header, data. */
export function readSafetensors(bytes: Uint8Array, title: string): LoadedWeights {
  if (bytes.length < 8) throw new FormatError(`${printable(title)} is too short to be a safetensors file.`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > bytes.length - 8) throw new FormatError(`${printable(title)}: header length ${n} runs past the end of the file.`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try { header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))); } catch { throw new FormatError(`${printable(title)}: the safetensors header is not valid JSON.`); }
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
export async function readFiles(files: readonly File[]): Promise<LoadedWeights> {
  const json = files.find((f) => f.name.toLowerCase().endsWith(".json"));
  const st = files.find((f) => f.name.toLowerCase().endsWith(".safetensors"));
  if (st) return readSafetensors(new Uint8Array(await st.arrayBuffer()), st.name);
  if (json) {
    const shards = new Map<string, Uint8Array>();
    for (const f of files) if (f !== json) shards.set(f.name, new Uint8Array(await f.arrayBuffer()));
    return readTfjs(await json.text(), shards, json.name);
  }
  const names = files.map((f) => printable(f.name)).join(", ");
  throw new FormatError(`unsupported input (${names}): select a tfjs model.json with its .bin shards, or a .safetensors file.`);
}
