import { writeFile } from "node:fs/promises";
import { saveSafetensors } from "@quantforge/io-safetensors";
import { sampleTensor } from "@quantforge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../__tests__/harness.js";
import { sha256File } from "../file-hash.js";
import { openSource } from "./source.js";

let t: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  t = await tempDir();
});
afterAll(async () => {
  await t.cleanup();
});

/** Reads every slot of the source in the given order and returns its sha256(). */
async function hashAfterReading(path: string, order?: readonly number[], shared = false): Promise<string> {
  const src = await openSource(path, "safetensors", "qf", { shared });
  try {
    for (const i of order ?? src.entries.map((_, k) => k)) await src.entries[i]!.read();
    return await src.sha256();
  } finally {
    await src.close();
  }
}

describe("the safetensors source's SHA-256 (hashed from the bytes read)", () => {
  it("equals the file's hash when every tensor is read in file order, shared or not", async () => {
    const p = t.path("w.safetensors");
    await saveSafetensors(p, [sampleTensor("a", [33, 7], { seed: 1 }), sampleTensor("b", [5], { seed: 2 }), sampleTensor("c", [2, 3, 4], { seed: 3 })]);
    const want = await sha256File(p);
    expect(await hashAfterReading(p)).toBe(want);
    expect(await hashAfterReading(p, undefined, true)).toBe(want);
  });

  it("falls back to reading the file when tensors were read out of order, not at all, or the file changed size", async () => {
    const p = t.path("x.safetensors");
    await saveSafetensors(p, [sampleTensor("a", [10], { seed: 4 }), sampleTensor("b", [6], { seed: 5 })]);
    const want = await sha256File(p);
    expect(await hashAfterReading(p, [1, 0])).toBe(want);
    expect(await hashAfterReading(p, [0])).toBe(want);
    // Bytes appended after the data: the tensors alone no longer cover the file.
    const src = await openSource(p, "safetensors", "qf");
    for (const e of src.entries) await e.read();
    await writeFile(p, new Uint8Array(3), { flag: "a" });
    expect(await src.sha256()).toBe(await sha256File(p));
    await src.close();
  });
});
