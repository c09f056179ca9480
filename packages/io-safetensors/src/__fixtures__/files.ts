import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A scratch directory per test file, removed by `cleanup`. */
export async function scratchDir(): Promise<{ dir: string; file: (name: string) => string; cleanup: () => Promise<void>; list: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), "qf-st-"));
  return {
    dir,
    file: (name) => join(dir, name),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    list: async () => (await readdir(dir)).sort(),
  };
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The 8-byte little-endian u64 length prefix, built by hand from the spec. */
export function u64le(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  let v = BigInt(n);
  for (let i = 0; i < 8; i++) { b[i] = Number(v & 0xffn); v >>= 8n; }
  return b;
}

/** A safetensors file from a header (string or raw bytes) and a data section, length prefix computed unless given. */
export function stFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declared?: number | bigint): Uint8Array {
  const h = typeof header === "string" ? new TextEncoder().encode(header) : header;
  return concat(u64le(declared ?? h.length), h, data);
}

/** Writes bytes to `path` and returns the path. */
export async function put(path: string, bytes: Uint8Array): Promise<string> {
  await writeFile(path, bytes);
  return path;
}

/** Little-endian bytes of float32 values (via DataView, independent of the code under test). */
export function f32le(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return b;
}

/** Little-endian bytes of float64 values. */
export function f64le(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return b;
}

/** Little-endian bytes of 16-bit patterns. */
export function u16le(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint16(i * 2, x, true));
  return b;
}

/** float32 bit patterns of an array, for bit-exact comparisons (NaN payloads, -0). */
export function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}
