import { readFileSync } from "node:fs";

/** Reads the float32 tensors of a safetensors file (the corpus's own reader, kept independent). */
export function readSafetensors(path: string): Map<string, { shape: number[]; data: Float32Array }> {
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen > buf.length - 8) throw new Error(`${path}: safetensors header longer than the file`);
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLen;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__" || t.dtype !== "F32") continue;
    const [a, b] = t.data_offsets;
    const bytes = buf.subarray(base + a, base + b);
    const data = new Float32Array(bytes.length / 4);
    new Uint8Array(data.buffer).set(bytes);
    out.set(name, { shape: t.shape, data });
  }
  return out;
}
