import type { FileHandle } from "node:fs/promises";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_IO_CHUNK, writeParts } from "./fs-loops.js";

/** A FileHandle that records every call and keeps what was written, each call taking at most `cap` bytes. */
function recorder(cap = Infinity): { fh: FileHandle; image: Map<number, number>; calls: { kind: string; parts: number; bytes: number }[] } {
  const image = new Map<number, number>();
  const calls: { kind: string; parts: number; bytes: number }[] = [];
  const put = (arrays: readonly Uint8Array[], position: number): number => {
    let left = cap,
      at = position;
    for (const a of arrays) {
      const n = Math.min(a.length, left);
      // Only the first and last bytes of each piece: the large-part case must not touch 70 MB.
      if (n > 0) {
        image.set(at, a[0]!);
        image.set(at + n - 1, a[n - 1]!);
      }
      at += n;
      left -= n;
      if (left === 0) break;
    }
    return at - position;
  };
  const fh = {
    async write(buf: Uint8Array, offset: number, length: number, position: number) {
      calls.push({ kind: "write", parts: 1, bytes: length });
      return { bytesWritten: put([buf.subarray(offset, offset + length)], position), buffer: buf };
    },
    async writev(buffers: Uint8Array[], position: number) {
      calls.push({ kind: "writev", parts: buffers.length, bytes: buffers.reduce((a, b) => a + b.length, 0) });
      return { bytesWritten: put(buffers, position), buffers };
    },
  } as unknown as FileHandle;
  return { fh, image, calls };
}

describe("writeParts", () => {
  it("writes any parts, short writes included, exactly as their concatenation", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), async (parts, cap) => {
        const r = recorder(cap);
        const total = parts.reduce((a, p) => a + p.length, 0);
        expect(await writeParts(r.fh, parts, 5)).toBe(total);
        const joined = parts.flatMap((p) => [...p]);
        for (const [at, v] of r.image) expect(v).toBe(joined[at - 5]);
        // Every byte position was reached: the first and last byte of each call's pieces cover the file.
        if (total > 0) expect(Math.max(...r.image.keys())).toBe(5 + total - 1);
      }),
      { numRuns: 150, seed: 19 },
    );
  });

  it("keeps each call within 1024 arrays and 64 MiB, and writes a larger part in capped calls", async () => {
    const many = Array.from({ length: 2500 }, (_, i) => Uint8Array.of(i & 0xff, 1));
    const r = recorder();
    expect(await writeParts(r.fh, many, 0)).toBe(5000);
    expect(r.calls.map((c) => c.parts)).toEqual([1024, 1024, 452]);
    const big = new Uint8Array(MAX_IO_CHUNK + 10);
    const s = recorder();
    expect(await writeParts(s.fh, [Uint8Array.of(1), big, Uint8Array.of(2)], 0)).toBe(MAX_IO_CHUNK + 12);
    expect(s.calls.every((c) => c.bytes <= MAX_IO_CHUNK)).toBe(true);
    expect(s.image.get(MAX_IO_CHUNK + 11)).toBe(2);
  });

  it("writes a real file byte for byte", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qf-parts-"));
    try {
      const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 70000 }, (_, i) => i & 0xff), Uint8Array.of(9)];
      const fh = await open(join(dir, "x.bin"), "wx");
      try {
        await writeParts(fh, parts, 0);
      } finally {
        await fh.close();
      }
      expect(new Uint8Array(await readFile(join(dir, "x.bin")))).toEqual(Uint8Array.from(parts.flatMap((p) => [...p])));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
