import { ErrorCodes } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "./header.js";
import { HOST_LITTLE_ENDIAN, swapBytes, toIoError } from "./io-impl.js";
import { loadSafetensors, readTensor } from "./read.js";
import { f32le, put, scratchDir, stFile } from "./__fixtures__/files.js";

describe("swapBytes (the big-endian host path)", () => {
  it("reverses each word and leaves a trailing partial word alone", () => {
    const b = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    swapBytes(b, 4);
    expect(Array.from(b)).toEqual([4, 3, 2, 1, 8, 7, 6, 5, 9]);
    const h = Uint8Array.of(1, 2, 3, 4);
    swapBytes(h, 2);
    expect(Array.from(h)).toEqual([2, 1, 4, 3]);
    const d = Uint8Array.from({ length: 8 }, (_, i) => i);
    swapBytes(d, 8);
    expect(Array.from(d)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("turns little-endian float bytes into host order on this machine's opposite", () => {
    const le = f32le([1.5]);
    swapBytes(le, 4);
    expect(new DataView(le.buffer).getFloat32(0, false)).toBe(1.5);
    expect(typeof HOST_LITTLE_ENDIAN).toBe("boolean");
  });
});

describe("toIoError", () => {
  it("maps errno codes to QF_IO with a hint and keeps the cause", () => {
    const cause = Object.assign(new Error("x"), { code: "EACCES" });
    const e = toIoError(cause, "read", "/a/b");
    expect(e.code).toBe(ErrorCodes.IO);
    expect(e.message).toBe('cannot read "/a/b": permission denied. Check the file\'s permissions.');
    expect(e.cause).toBe(cause);
    expect(toIoError(Object.assign(new Error("x"), { code: "ENOSPC" }), "write", "p").message).toMatch(/disk is full/);
    expect(toIoError(new Error("weird\nsecond line"), "read", "p").message).toBe('cannot read "p": weird. Check the path and retry.');
  });
});

describe("option validation", () => {
  let s: Awaited<ReturnType<typeof scratchDir>>;
  let path: string;
  beforeAll(async () => {
    s = await scratchDir();
    path = await put(s.file("a.safetensors"), stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32le([1])));
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it("rejects bad sizes with QF_INVALID_OPTIONS naming the option", async () => {
    const h = await readSafetensorsHeader(path);
    for (const bad of [0, -1, 1.5, Number.NaN, "8" as never]) {
      await expect(readTensor(path, h.tensors[0]!, { chunkBytes: bad })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS, field: "chunkBytes" });
      await expect(loadSafetensors(path, { chunkBytes: bad })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
    }
    await expect(readSafetensorsHeader(path, { maxHeaderBytes: -5 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS, field: "maxHeaderBytes" });
    await expect(readSafetensorsHeader(path, { maxHeaderBytes: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
  });
});
