import { readFile, writeFile } from "node:fs/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSafetensors } from "./read.js";
import { bits, concat, f32le, put, scratchDir, stFile, u16le } from "./__fixtures__/files.js";

// loadSafetensors' `fileBytes`: the whole file read ahead (the runner's CLI reads it while its
// modules load). The tensors must be those of a plain load, bit for bit, whatever the bytes' buffer.

let s: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  s = await scratchDir();
});
afterAll(async () => {
  await s.cleanup();
});

/** The bytes of `file` in a SharedArrayBuffer (what the CLI's read ahead gives), or in a plain one. */
async function bytesOf(file: string, shared: boolean): Promise<Uint8Array> {
  const b = await readFile(file);
  const out = new Uint8Array(shared ? new SharedArrayBuffer(b.length) : new ArrayBuffer(b.length));
  out.set(b);
  return out;
}

const same = (a: { name: string; shape: readonly number[]; data: Float32Array }[], b: typeof a) => {
  expect(b.map((t) => [t.name, t.shape])).toEqual(a.map((t) => [t.name, t.shape]));
  for (let i = 0; i < a.length; i++) expect(bits(b[i]!.data)).toEqual(bits(a[i]!.data));
};

describe("loadSafetensors with fileBytes", () => {
  it("takes aligned F32 tensors as views of the bytes and converts the others, as a plain load reads them", async () => {
    // Header padded to a multiple of 8 bytes, so the data start aligned; "odd" starts 14 bytes into the data (unaligned F32).
    const data = concat(f32le([1.5, -0, NaN]), u16le([0x3c00]), f32le([3.25]), u16le([0xc000]), f32le([7, 8]));
    const json = JSON.stringify({
      a: { dtype: "F32", shape: [3], data_offsets: [0, 12] },
      h: { dtype: "F16", shape: [1], data_offsets: [12, 14] },
      odd: { dtype: "F32", shape: [1], data_offsets: [14, 18] },
      h2: { dtype: "F16", shape: [1], data_offsets: [18, 20] },
      b: { dtype: "F32", shape: [2], data_offsets: [20, 28] },
    });
    const file = await put(s.file("mixed.safetensors"), stFile(json.padEnd(Math.ceil(json.length / 8) * 8, " "), data));
    const plain = await loadSafetensors(file, { shared: true });
    const bytes = await bytesOf(file, true);
    const ahead = await loadSafetensors(file, { shared: true, fileBytes: bytes });
    same(plain, ahead);
    const byName = new Map(ahead.map((t) => [t.name, t.data]));
    for (const n of ["a", "b"]) expect(byName.get(n)!.buffer).toBe(bytes.buffer);
    for (const n of ["h", "odd", "h2"]) {
      expect(byName.get(n)!.buffer).not.toBe(bytes.buffer);
      expect(byName.get(n)!.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    // Asked for shared memory, bytes in a plain buffer: copies in shared memory, the same values.
    const copied = await loadSafetensors(file, { shared: true, fileBytes: await bytesOf(file, false) });
    same(plain, copied);
    expect(copied.every((t) => t.data.buffer instanceof SharedArrayBuffer)).toBe(true);
  });

  it("reads the file itself when the bytes are not the file's length (the file changed after they were read)", async () => {
    const file = await put(s.file("grown.safetensors"), stFile(JSON.stringify({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }), f32le([1, 2])));
    const stale = await bytesOf(file, true);
    await writeFile(file, stFile(JSON.stringify({ w: { dtype: "F32", shape: [3], data_offsets: [0, 12] } }), f32le([4, 5, 6])));
    const got = await loadSafetensors(file, { shared: true, fileBytes: stale });
    expect(Array.from(got[0]!.data)).toEqual([4, 5, 6]);
    expect(got[0]!.data.buffer).not.toBe(stale.buffer);
  });

  it("gives the tensors of a plain load for any F32/F16 layout and header padding (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ f16: fc.boolean(), values: fc.array(fc.float(), { maxLength: 20 }) }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 7 }), async (specs, pad) => {
        const parts: Uint8Array[] = [];
        const entries: Record<string, unknown> = {};
        let at = 0;
        specs.forEach((sp, i) => {
          const raw = sp.f16 ? u16le(sp.values.map((v) => (Math.abs(v) < 1 ? 0x3c00 : 0xc000))) : f32le(sp.values);
          entries[`t${i}`] = { dtype: sp.f16 ? "F16" : "F32", shape: [sp.values.length], data_offsets: [at, at + raw.length] };
          parts.push(raw);
          at += raw.length;
        });
        const file = await put(s.file(`p${pad}.safetensors`), stFile(JSON.stringify(entries) + " ".repeat(pad), concat(...parts)));
        same(await loadSafetensors(file), await loadSafetensors(file, { shared: true, fileBytes: await bytesOf(file, true) }));
      }),
      { numRuns: 40, seed: 18 },
    );
  });
});
