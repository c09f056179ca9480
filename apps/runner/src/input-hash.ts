import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import type { WeightSet } from "@quantforge/core";
import { sha256File } from "./file-hash.js";
import { readSafetensorsHeader } from "@quantforge/io-safetensors";

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * SHA-256 of the safetensors file `weights` were just read from, without reading its data again:
 * the file's head (length and JSON header) from disk, then each tensor's bytes from memory. Only
 * when those are every data byte of the file, as stored: F32 tensors on a little-endian host
 * (read bit for bit) whose data tile the data section in offset order. Otherwise (another
 * dtype, gaps, a tfjs manifest, any error) the hash of the file as read from disk.
 */
export async function sha256Weights(path: string, weights: WeightSet): Promise<string> {
  const fromMemory = HOST_LE ? await hashFromMemory(path, weights).catch(() => undefined) : undefined;
  return fromMemory ?? sha256File(path);
}

async function hashFromMemory(path: string, weights: WeightSet): Promise<string | undefined> {
  if (!path.endsWith(".safetensors")) return undefined;
  const header = await readSafetensorsHeader(path);
  const byName = new Map(weights.map((t) => [t.name, t]));
  const parts: Uint8Array[] = [];
  let pos = header.dataOffset; // entries hold absolute file offsets
  for (const e of header.tensors) {
    const t = byName.get(e.name);
    if (e.dtype !== "F32" || e.begin !== pos || !t || t.data.byteLength !== e.end - e.begin) return undefined;
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    pos = e.end;
  }
  if (pos !== header.fileSize || byName.size !== header.tensors.length) return undefined;
  const head = Buffer.allocUnsafe(header.dataOffset);
  const fh = await open(path, "r");
  try {
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const { size } = await fh.stat();
    // The file must still be the one the weights came from (same size; its head is re-read here).
    if (bytesRead !== head.length || size !== header.fileSize) return undefined;
  } finally {
    await fh.close();
  }
  const h = createHash("sha256").update(head);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}
