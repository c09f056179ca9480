import { FormatError, ShapeMismatchError, shapeSize } from "@quantforge/core";
import type { SafetensorsTensorInfo } from "./header.js";

/** Name and shape of a tensor to be written; the data come later through the writer. */
export interface SafetensorsWriterEntry {
  /** Tensor name; unique, and not `__metadata__` (reserved by the format). */
  readonly name: string;
  /** Dimensions, outermost first; `[]` is a scalar. */
  readonly shape: readonly number[];
}

/** Header of an F32 safetensors file laid out in the given order, with no holes. */
export interface EncodedHeader {
  /** The 8-byte length prefix followed by the space-padded JSON header. */
  readonly bytes: Uint8Array;
  /** The layout as {@link readSafetensorsHeader} would report it (minus the path). */
  readonly tensors: readonly SafetensorsTensorInfo[];
  /** JSON length including padding (a multiple of 8). */
  readonly headerSize: number;
  /** Total file size. */
  readonly fileSize: number;
}

function checkMetadata(metadata: unknown): [string, string][] {
  if (metadata === undefined) return [];
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new FormatError(`safetensors metadata must be an object mapping strings to strings, got ${metadata === null ? "null" : Array.isArray(metadata) ? "an array" : typeof metadata}. Pass { metadata: { key: "value" } }.`);
  }
  const entries = Object.entries(metadata as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw new FormatError(`safetensors metadata value of "${k}" is a ${typeof v}; the format stores only strings. Convert it with String() or JSON.stringify().`);
  }
  return entries as [string, string][];
}

/**
 * Builds the header of an F32 file holding `entries` back to back in the given order. The JSON is
 * compact, `__metadata__` first, tensors in the given order; it is padded with spaces to a
 * multiple of 8 bytes as the reference writer does, so the data section starts 8-byte aligned.
 * @throws {ShapeMismatchError} On duplicate names or invalid dimensions.
 * @throws {FormatError} On a reserved name, non-string metadata or a file larger than 2^53 bytes.
 * @internal Exported for tests and for writers of other layouts.
 */
export function encodeSafetensorsHeader(entries: readonly SafetensorsWriterEntry[], metadata?: Readonly<Record<string, string>>): EncodedHeader {
  const meta = checkMetadata(metadata);
  const parts: string[] = [];
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  const seen = new Set<string>();
  const rel: [number, number][] = [];
  let offset = 0;
  for (const e of entries) {
    if (typeof e?.name !== "string") throw new ShapeMismatchError(`a tensor to write has no string name. Give every tensor a name.`);
    if (e.name === "__metadata__") throw new FormatError(`a tensor cannot be named "__metadata__": safetensors reserves that key. Rename the tensor.`);
    if (seen.has(e.name)) throw new ShapeMismatchError(`two tensors to write are named "${e.name}". Tensor names must be unique.`);
    seen.add(e.name);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ShapeMismatchError(`tensor "${e.name}" has shape [${String(e.shape)}]; dimensions must be non-negative integers. Fix the shape.`);
    }
    const end = offset + shapeSize(e.shape) * 4;
    if (!Number.isSafeInteger(end)) throw new FormatError(`the tensors to write exceed 2^53 bytes at "${e.name}". Split them over several files.`);
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"F32","shape":[${e.shape.join(",")}],"data_offsets":[${offset},${end}]}`);
    rel.push([offset, end]);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerSize = json.length + ((8 - (json.length % 8)) % 8);
  const bytes = new Uint8Array(8 + headerSize).fill(0x20, 8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerSize), true);
  bytes.set(json, 8);
  const dataOffset = 8 + headerSize;
  const tensors = entries.map((e, i) => ({ name: e.name, dtype: "F32" as const, shape: e.shape.slice(), begin: dataOffset + rel[i]![0], end: dataOffset + rel[i]![1] }));
  return { bytes, tensors, headerSize, fileSize: dataOffset + offset };
}
