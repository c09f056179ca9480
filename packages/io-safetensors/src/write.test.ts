import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { ErrorCodes, FormatError, IoError, ShapeMismatchError, type WeightTensor } from "@quantforge/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "./header.js";
import { loadSafetensors } from "./read.js";
import { createSafetensorsWriter, encodeSafetensorsHeader, saveSafetensors } from "./write.js";
import { bits, scratchDir } from "./__fixtures__/files.js";

let s: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  s = await scratchDir();
});
afterAll(async () => {
  await s.cleanup();
});

const MAX = 3.4028234663852886e38;
const tensor = (name: string, shape: number[], values: number[]): WeightTensor => ({ name, shape, data: Float32Array.from(values) });

/** A fresh empty directory, so "no file left behind" can be checked by listing it. */
let k = 0;
async function emptyDir(): Promise<string> {
  const d = s.file(`d${k++}`);
  await mkdir(d);
  return d;
}

describe("saveSafetensors: bytes", () => {
  it("matches a reference file built by hand from the spec, byte for byte", async () => {
    const path = s.file("ref.safetensors");
    await saveSafetensors(path, [tensor("embed.weight", [2, 2], [1, -0, 2 ** -149, MAX]), tensor("bias", [3], [-1.5, 0.25, -MAX]), tensor("scale", [], [2])], { metadata: { format: "pt" } });
    // 215 bytes of compact JSON + 1 space of padding = 216 = 0xd8 (a multiple of 8).
    const json =
      '{"__metadata__":{"format":"pt"},' + '"embed.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' + '"bias":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},' + '"scale":{"dtype":"F32","shape":[],"data_offsets":[28,32]}} ';
    const hex =
      "d800000000000000" +
      Buffer.from(json, "latin1").toString("hex") +
      "0000803f" +
      "00000080" +
      "01000000" +
      "ffff7f7f" + // 1, -0, 2^-149, max
      "0000c0bf" +
      "0000803e" +
      "ffff7fff" + // -1.5, 0.25, -max
      "00000040"; // 2
    expect(Buffer.from(await readFile(path)).toString("hex")).toBe(hex);
  });

  it("pads the header with spaces to a multiple of 8 and writes no metadata key when none is given", () => {
    for (let len = 0; len < 12; len++) {
      const enc = encodeSafetensorsHeader([{ name: "x".repeat(len), shape: [1] }]);
      expect(enc.headerSize % 8).toBe(0);
      const text = new TextDecoder().decode(enc.bytes.subarray(8));
      expect(text.trimEnd()).toBe(`{"${"x".repeat(len)}":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`);
      expect(text.length - text.trimEnd().length).toBeLessThan(8);
      expect(enc.fileSize).toBe(8 + enc.headerSize + 4);
    }
  });
});

describe("saveSafetensors: round trip", () => {
  const edge = fc.constantFrom(-0, 0, 2 ** -149, -(2 ** -149), 1.1754942106924411e-38, MAX, -MAX, Infinity, -Infinity, NaN);
  const value = fc.oneof(fc.float(), edge);
  const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
  const weights = fc
    .uniqueArray(
      fc.string({ unit: "binary", maxLength: 6 }).filter((n) => n !== "__metadata__"),
      { maxLength: 4 },
    )
    .chain((names) => fc.tuple(...names.map((name) => shape.chain((sh) => fc.array(value, { minLength: sh.reduce((a, b) => a * b, 1), maxLength: sh.reduce((a, b) => a * b, 1) }).map((v) => tensor(name, sh, v))))));
  const metadata = fc.option(fc.dictionary(fc.string({ unit: "grapheme", maxLength: 5 }), fc.string({ unit: "grapheme", maxLength: 8 }), { maxKeys: 3 }), { nil: undefined });

  it("load(save(w)) returns the same names, shapes, order and float32 bits; the layout has no holes", async () => {
    const path = s.file("prop.safetensors");
    await fc.assert(
      fc.asyncProperty(weights, metadata, async (ws, meta) => {
        const written = await saveSafetensors(path, ws, { metadata: meta, fsync: false });
        const back = await loadSafetensors(path);
        expect(back.map((t) => t.name)).toEqual(ws.map((t) => t.name));
        back.forEach((t, i) => {
          expect(t.shape).toEqual(ws[i]!.shape);
          expect(bits(t.data)).toEqual(bits(ws[i]!.data));
        });
        const h = await readSafetensorsHeader(path);
        expect(h.metadata).toEqual(meta ?? {});
        expect(h.headerSize % 8).toBe(0);
        expect(h.tensors).toEqual(written.tensors);
        let cursor = h.dataOffset;
        for (const t of h.tensors) {
          expect(t.begin).toBe(cursor);
          cursor = t.end;
        }
        expect(cursor).toBe(h.fileSize);
      }),
      { numRuns: 60, seed: 20240611 },
    );
  });

  it("replaces an existing file", async () => {
    const path = s.file("replace.safetensors");
    await writeFile(path, "old contents that are much longer than the new file would be ".repeat(10));
    await saveSafetensors(path, [tensor("a", [1], [3])]);
    expect(Array.from((await loadSafetensors(path))[0]!.data)).toEqual([3]);
  });
});

describe("saveSafetensors: atomicity and bad input", () => {
  it("a missing directory is QF_IO and creates nothing", async () => {
    const dir = await emptyDir();
    const err = await saveSafetensors(`${dir}/no/such/dir/w.safetensors`, [tensor("a", [1], [1])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect((err as IoError).message).toMatch(/directory does not exist/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("data that do not match a shape are a ShapeMismatchError before any file appears", async () => {
    const dir = await emptyDir();
    await expect(saveSafetensors(`${dir}/w.safetensors`, [tensor("a", [2], [1, 2]), tensor("b", [2, 2], [1, 2, 3])])).rejects.toBeInstanceOf(ShapeMismatchError);
    await expect(saveSafetensors(`${dir}/w.safetensors`, [tensor("a", [-1], [])])).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
    await expect(saveSafetensors(`${dir}/w.safetensors`, [{ name: "a", shape: [1], data: [1] as never }])).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH });
    expect(await readdir(dir)).toEqual([]);
  });

  it("duplicate names, the reserved name and non-string metadata are rejected before any file appears", async () => {
    const dir = await emptyDir();
    const p = `${dir}/w.safetensors`;
    await expect(saveSafetensors(p, [tensor("a", [1], [1]), tensor("a", [1], [2])])).rejects.toMatchObject({ code: ErrorCodes.SHAPE_MISMATCH, message: expect.stringMatching(/two tensors to write are named "a"/) });
    await expect(saveSafetensors(p, [tensor("__metadata__", [1], [1])])).rejects.toBeInstanceOf(FormatError);
    await expect(saveSafetensors(p, [tensor("a", [1], [1])], { metadata: { epoch: 3 } as never })).rejects.toMatchObject({ code: ErrorCodes.FORMAT, message: expect.stringMatching(/"epoch" is a number/) });
    await expect(saveSafetensors(p, [tensor("a", [1], [1])], { metadata: [] as never })).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
    expect(await readdir(dir)).toEqual([]);
  });

  it("a failing rename (the target is a directory) removes the temp file", async () => {
    const dir = await emptyDir();
    await mkdir(`${dir}/target`);
    await expect(saveSafetensors(`${dir}/target`, [tensor("a", [1], [1])])).rejects.toMatchObject({ code: ErrorCodes.IO });
    expect(await readdir(dir)).toEqual(["target"]);
  });
});

describe("createSafetensorsWriter", () => {
  const entries = [
    { name: "a", shape: [2, 3] },
    { name: "empty", shape: [0] },
    { name: "b", shape: [5] },
  ];
  const A = tensor("a", [2, 3], [1, 2, 3, 4, 5, 6]);
  const E = tensor("empty", [0], []);
  const B = tensor("b", [5], [-1, -2, -3, -4, -5]);

  it("writes the same bytes tensor by tensor, chunk by chunk, and queued without awaiting", async () => {
    const dir = await emptyDir();
    await saveSafetensors(`${dir}/whole.safetensors`, [A, E, B], { metadata: { k: "v" } });
    const w1 = await createSafetensorsWriter(`${dir}/tensors.safetensors`, entries, { metadata: { k: "v" } });
    await w1.write(A);
    await w1.write(E);
    await w1.write(B);
    const layout = await w1.close();
    const w2 = await createSafetensorsWriter(`${dir}/chunks.safetensors`, entries, { metadata: { k: "v" } });
    // Chunks cross no tensor boundary; the empty tensor is skipped automatically.
    await Promise.all([w2.writeChunk(A.data.subarray(0, 4)), w2.writeChunk(A.data.subarray(4)), w2.writeChunk(B.data.subarray(0, 1)), w2.writeChunk(new Float32Array(0)), w2.writeChunk(B.data.subarray(1))]);
    await w2.close();
    const whole = await readFile(`${dir}/whole.safetensors`);
    expect(Buffer.compare(await readFile(`${dir}/tensors.safetensors`), whole)).toBe(0);
    expect(Buffer.compare(await readFile(`${dir}/chunks.safetensors`), whole)).toBe(0);
    expect(layout.fileSize).toBe(whole.length);
    expect((await readdir(dir)).sort()).toEqual(["chunks.safetensors", "tensors.safetensors", "whole.safetensors"]);
  });

  it("nothing appears at the path until close", async () => {
    const dir = await emptyDir();
    const w = await createSafetensorsWriter(`${dir}/w.safetensors`, entries);
    await w.write(A);
    const during = await readdir(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.w\.safetensors\.tmp-\d+-[0-9a-f]{8}$/);
    await w.abort();
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
    await expect(w.write(E)).rejects.toMatchObject({ code: ErrorCodes.IO, message: expect.stringMatching(/is aborted/) });
  });

  const misuse: [string, (w: Awaited<ReturnType<typeof createSafetensorsWriter>>) => Promise<unknown>, RegExp][] = [
    ["a tensor out of order", (w) => w.write(B), /expected tensor "a" next/],
    ["a tensor of the wrong shape", (w) => w.write(tensor("a", [3, 2], [1, 2, 3, 4, 5, 6])), /planned as \[2, 3\]/],
    ["a tensor whose data do not fit its shape", (w) => w.write(tensor("a", [2, 3], [1, 2, 3])), /has 3 values but shape/],
    ["a chunk running past the tensor", (w) => w.writeChunk(new Float32Array(7)), /runs past tensor "a", which has 6 values left/],
    [
      "a whole tensor after a partial one",
      async (w) => {
        await w.writeChunk(new Float32Array(2));
        return w.write(A);
      },
      /half written/,
    ],
    [
      "closing early",
      async (w) => {
        await w.write(A);
        return w.close();
      },
      /closed with 1 tensor\(s\) not fully written \("b"\)/,
    ],
    [
      "writing after the last tensor",
      async (w) => {
        await w.write(A);
        await w.write(E);
        await w.write(B);
        return w.write(B);
      },
      /after all 3 planned tensors/,
    ],
  ];
  for (const [what, act, message] of misuse) {
    it(`${what} aborts the writer: ShapeMismatchError and no file left`, async () => {
      const dir = await emptyDir();
      await writeFile(`${dir}/w.safetensors`, "previous");
      const w = await createSafetensorsWriter(`${dir}/w.safetensors`, entries);
      const err = await act(w).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShapeMismatchError);
      expect((err as Error).message).toMatch(message);
      expect(await readdir(dir)).toEqual(["w.safetensors"]);
      expect(await readFile(`${dir}/w.safetensors`, "utf8")).toBe("previous");
      await expect(w.close()).rejects.toMatchObject({ code: ErrorCodes.IO });
    });
  }

  it("rejects bad plans before creating a file", async () => {
    const dir = await emptyDir();
    await expect(createSafetensorsWriter(`${dir}/w.safetensors`, [{ name: "a", shape: [1.5] }])).rejects.toBeInstanceOf(ShapeMismatchError);
    await expect(createSafetensorsWriter(`${dir}/w.safetensors`, [{ name: "a", shape: [2 ** 52, 4] }])).rejects.toBeInstanceOf(FormatError);
    expect(await readdir(dir)).toEqual([]);
  });
});
