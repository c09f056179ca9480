import { open } from "node:fs/promises";
import type { WeightSet } from "@quantforge/core";
import { readSafetensorsHeader } from "@quantforge/io-safetensors";
import { sha256File } from "./file-hash.js";
import { safetensorsDigest } from "./quantize/input-digest.js";

/** Bytes hashed per turn of the event loop: the worker pool's messages are answered in between. */
const HASH_SLICE = 4 * 1024 * 1024;

/**
 * SHA-256 of the safetensors file `weights` were just read from, without reading its data again:
 * `quantize`'s {@link safetensorsDigest} fed with the tensors in the file's offset order. It hashes
 * from memory only when those are every data byte of the file, as stored (F32 tensors on a
 * little-endian host whose data tile the data section); otherwise (another dtype, gaps, a tensor
 * missing from `weights`, a tfjs manifest, any error) the hash of the file as read from disk.
 */
export async function sha256Weights(path: string, weights: WeightSet): Promise<string> {
  if (!path.endsWith(".safetensors")) return sha256File(path);
  const fromMemory = await digestFromMemory(path, weights).catch(() => undefined);
  return fromMemory ?? sha256File(path);
}

async function digestFromMemory(path: string, weights: WeightSet): Promise<string | undefined> {
  const header = await readSafetensorsHeader(path);
  const byName = new Map(weights.map((t) => [t.name, t]));
  if (byName.size !== header.tensors.length) return undefined;
  const fh = await open(path, "r");
  try {
    const digest = await safetensorsDigest(path, fh, header);
    for (const e of header.tensors) {
      const t = byName.get(e.name);
      if (!t) return undefined;
      await digest.readSliced(e, t, HASH_SLICE);
    }
    return await digest.digest();
  } finally {
    await fh.close();
  }
}
