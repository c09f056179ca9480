import { open, writeFile } from "node:fs/promises";
import { readSafetensorsHeader, saveSafetensors } from "@quantforge/io-safetensors";
import { sampleTensor } from "@quantforge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../__tests__/harness.js";
import { sha256File } from "../file-hash.js";
import { safetensorsDigest } from "./input-digest.js";
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

describe("safetensorsDigest's sliced reads", () => {
  it("hashes a tensor in slices (a turn of the event loop between) to the same digest", async () => {
    const p = t.path("s.safetensors");
    const tensors = [sampleTensor("a", [257, 3], { seed: 6 }), sampleTensor("b", [9], { seed: 7 }), sampleTensor("c", [40, 40], { seed: 8 })];
    await saveSafetensors(p, tensors);
    const want = await sha256File(p);
    const header = await readSafetensorsHeader(p);
    for (const slice of [undefined, 1, 64, 1000, 1 << 20]) {
      const fh = await open(p, "r");
      try {
        const digest = await safetensorsDigest(p, fh, header);
        // An immediate queued first runs at the first turn the sliced reads give the event loop.
        let turned = false;
        setImmediate(() => (turned = true));
        for (const e of header.tensors) {
          const x = tensors.find((w) => w.name === e.name)!;
          if (slice === undefined) digest.read(e, x);
          else await digest.readSliced(e, x, slice);
        }
        expect(turned, String(slice)).toBe(slice !== undefined && slice < 40 * 40 * 4);
        expect(await digest.digest(), String(slice)).toBe(want);
      } finally {
        await fh.close();
      }
    }
  });
});
