import { FormatError } from "@quantforge/core";
import { fromFloat16Bits } from "@quantforge/core/format";
import type { TfjsWeightSpec } from "./manifest.js";

/*
 * The pure parts of reading a tfjs model (no Node API): the size limits of model.json and the
 * decoding of stored weight bytes as tfjs does it. Shared by the Node reader (read.ts) and the
 * browser loader (coded-browser.ts).
 */

/**
 * Largest model.json (or weights manifest) read, in bytes. JSON text this large already costs
 * several times its size once parsed; a bigger file is refused before it is read.
 */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/**
 * Most JSON objects and arrays a model.json may hold (counted as `{`/`[` bytes before parsing, so
 * brackets inside strings count too). Parsed, each costs ~100 bytes or more: a 36 MB file of a
 * million one-shard manifest groups peaked at 598 MiB. Real graph models hold well under 10^5.
 */
export const MAX_MODEL_JSON_CONTAINERS = 1_000_000;

/**
 * Refuses a model.json holding more than {@link MAX_MODEL_JSON_CONTAINERS} objects/arrays before it
 * is parsed: `JSON.parse` of a million tiny containers costs ~600 MiB, which no real model needs.
 * Counting `{`/`[` bytes over-counts brackets inside strings, which only makes the check stricter.
 * @param raw - The file's bytes.
 * @param where - The printable file name for the message.
 * @throws FormatError when there are too many.
 */
export function checkJsonContainers(raw: Uint8Array, where: string): void {
  let containers = 0;
  for (let i = 0; i < raw.length; i++) if (raw[i] === 0x7b || raw[i] === 0x5b) containers++;
  if (containers > MAX_MODEL_JSON_CONTAINERS)
    throw new FormatError(`${where} holds ${containers} JSON objects/arrays (at most ${MAX_MODEL_JSON_CONTAINERS} are read): it is not a tfjs model.json this tool can load. Pass the model.json that tfjs wrote.`);
}

/**
 * Decodes the stored bytes of a float32 entry to float32 values, dequantizing tfjs's own
 * quantization exactly as tfjs does when it loads the model: `uint8`/`uint16` codes become
 * `fround(q·scale + min)` (float64 arithmetic, then float32), `float16` is widened exactly.
 *
 * @param spec - The entry's spec (dtype float32).
 * @param bytes - Its stored bytes (little-endian).
 */
export function decodeFloatEntry(spec: TfjsWeightSpec, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = spec.quantization;
  if (!q) {
    const n = bytes.byteLength >> 2;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (q.dtype === "float16") {
    const n = bytes.byteLength >> 1;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = fromFloat16Bits(view.getUint16(i * 2, true));
    return out;
  }
  const { scale, min } = q;
  if (q.dtype === "uint8") {
    const out = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! * scale + min;
    return out;
  }
  const n = bytes.byteLength >> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true) * scale + min;
  return out;
}

/**
 * Decodes the stored bytes of an int32 or bool entry to tfjs's in-memory layout (int32 values,
 * or one byte per bool), dequantizing `uint8`/`uint16` int32 entries as tfjs does
 * (`Math.round(q·scale + min)`).
 */
export function decodeNonFloatEntry(spec: TfjsWeightSpec, bytes: Uint8Array): Uint8Array {
  const q = spec.quantization;
  if (spec.dtype === "bool" || !q) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (q.dtype === "float16") return bytes; // rejected by validation; kept for completeness
  const w = q.dtype === "uint8" ? 1 : 2;
  const n = bytes.byteLength / w;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((w === 1 ? bytes[i]! : view.getUint16(i * 2, true)) * q.scale + q.min);
  return new Uint8Array(out.buffer);
}
