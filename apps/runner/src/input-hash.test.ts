import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSafetensors, saveSafetensors } from "@quantforge/io-safetensors";
import { sha256File } from "./file-hash.js";
import { sha256Weights } from "./input-hash.js";

const dir = mkdtempSync(join(tmpdir(), "qf-input-hash-"));
const hashOf = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describe("sha256Weights / sha256File", () => {
  it("hash the file's bytes: from the loaded weights for a plain F32 file, from disk otherwise", async () => {
    const f32 = join(dir, "a.safetensors");
    await saveSafetensors(f32, [
      { name: "b", shape: [3], data: Float32Array.of(NaN, -0, 1) },
      { name: "a", shape: [2, 2], data: Float32Array.of(1, 2, 3, Infinity) },
      { name: "e", shape: [0], data: new Float32Array(0) },
    ]);
    const w = await loadSafetensors(f32);
    expect(await sha256Weights(f32, w)).toBe(hashOf(f32));
    expect(await sha256File(f32)).toBe(hashOf(f32));
    // The data come from memory, not from the file again: other values give another hash.
    const changed = w.map((t) => (t.name === "a" ? { ...t, data: Float32Array.of(9, 9, 9, 9) } : t));
    expect(await sha256Weights(f32, changed)).not.toBe(hashOf(f32));
    // Weights that do not cover the file (a tensor missing) are hashed from the disk.
    expect(await sha256Weights(f32, w.slice(1))).toBe(hashOf(f32));
  });

  it("falls back to the disk for F16 data, trailing bytes and files that are not safetensors", async () => {
    const header = JSON.stringify({ h: { dtype: "F16", shape: [2], data_offsets: [0, 4] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const f16 = join(dir, "h.safetensors");
    writeFileSync(f16, Buffer.concat([len, Buffer.from(header), Buffer.from([0, 60, 0, 188])]));
    expect(await sha256Weights(f16, await loadSafetensors(f16))).toBe(hashOf(f16));
    const other = join(dir, "x.bin");
    writeFileSync(other, "not weights");
    expect(await sha256Weights(other, [])).toBe(hashOf(other));
  });
});
