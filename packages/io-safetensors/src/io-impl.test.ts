import { ErrorCodes } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "./header.js";
import type { FileHandle } from "node:fs/promises";
import { HOST_LITTLE_ENDIAN, PARALLEL_READ_MIN, readFully, swapBytes, toIoError } from "./io-impl.js";
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

/** A FileHandle over `file` whose positional reads may be short (at most `cap` bytes) or fail at `failAt`. */
function fakeHandle(file: Uint8Array, opts: { cap?: number; failAt?: number } = {}): { fh: FileHandle; inFlight: () => number; maxInFlight: () => number } {
  let live = 0,
    peak = 0;
  const fh = {
    async read(dst: Uint8Array, offset: number, length: number, position: number) {
      live++;
      peak = Math.max(peak, live);
      await new Promise((r) => setTimeout(r, 1));
      live--;
      if (opts.failAt !== undefined && position <= opts.failAt && opts.failAt < position + length) throw Object.assign(new Error("boom"), { code: "EIO" });
      const n = Math.max(0, Math.min(length, opts.cap ?? length, file.length - position));
      dst.set(file.subarray(position, position + n), offset);
      return { bytesRead: n, buffer: dst };
    },
  } as unknown as FileHandle;
  return { fh, inFlight: () => live, maxInFlight: () => peak };
}

describe("readFully", () => {
  const big = PARALLEL_READ_MIN + 5 * 1024 * 1024 + 123;
  const file = new Uint8Array(big + 4096);
  for (let i = 0; i < file.length; i++) file[i] = Math.imul(i, 2654435761) >>> 24;

  it("reads a large range exactly, several pieces in flight, short reads included", async () => {
    for (const cap of [undefined, 3 * 1024 * 1024 + 7]) {
      const h = fakeHandle(file, cap === undefined ? {} : { cap });
      const dst = new Uint8Array(big + 10);
      expect(await readFully(h.fh, dst, 10, big, 77, 4)).toBe(big);
      expect(Buffer.from(dst.subarray(10)).equals(file.subarray(77, 77 + big))).toBe(true);
      expect(h.maxInFlight()).toBeGreaterThan(1);
      expect(h.maxInFlight()).toBeLessThanOrEqual(4);
    }
  });

  it("reads one piece at a time by default", async () => {
    const h = fakeHandle(file, { cap: 3 * 1024 * 1024 });
    const dst = new Uint8Array(big);
    expect(await readFully(h.fh, dst, 0, big, 0)).toBe(big);
    expect(Buffer.from(dst).equals(file.subarray(0, big))).toBe(true);
    expect(h.maxInFlight()).toBe(1);
  });

  it("returns the gap-free prefix when the file ends first, as the serial loop does", async () => {
    const end = big - 5 * 1024 * 1024 - 1000;
    const dst = new Uint8Array(big);
    const h = fakeHandle(file.subarray(0, end));
    expect(await readFully(h.fh, dst, 0, big, 0, 3)).toBe(end);
    expect(Buffer.from(dst.subarray(0, end)).equals(file.subarray(0, end))).toBe(true);
    expect(await readFully(fakeHandle(file.subarray(0, 100)).fh, new Uint8Array(50), 0, 50, 60)).toBe(40);
  });

  it("throws the read error only after every piece has settled", async () => {
    const h = fakeHandle(file, { failAt: 9 * 1024 * 1024 });
    await expect(readFully(h.fh, new Uint8Array(big), 0, big, 0, 4)).rejects.toThrow("boom");
    expect(h.inFlight()).toBe(0);
  });
});
