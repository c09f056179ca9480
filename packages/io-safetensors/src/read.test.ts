import { open, readFile } from "node:fs/promises";
import { ErrorCodes, NonFiniteError, assertFinite } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader } from "./header.js";
import { loadSafetensors, readTensor, readTensorChunks, streamSafetensors } from "./read.js";
import { bits, concat, f32le, f64le, put, scratchDir, stFile, u16le } from "./__fixtures__/files.js";

let s: Awaited<ReturnType<typeof scratchDir>>;
let mixed: string;

// A hand-built file with one tensor per readable dtype; the data are written by hand from the
// spec (DataView little-endian), never by the writer under test.
const F16 = [0x3c00, 0xc000, 0x0001, 0x03ff, 0x7bff, 0x7c00, 0xfc00, 0x7e01, 0x8000];
const BF16 = [0x3f80, 0x4049, 0x0001, 0x7f80, 0xff80, 0x8000];
const F64 = [0.1, -1 / 3, 1e39, 1e-50, -0];
const F32 = [1.5, -0, 1e-45, 3.4028234663852886e38, NaN, Infinity];

beforeAll(async () => {
  s = await scratchDir();
  const data = concat(f32le(F32), u16le(F16), u16le(BF16), f64le(F64));
  const a = F32.length * 4,
    b = a + F16.length * 2,
    c = b + BF16.length * 2,
    d = c + F64.length * 8;
  const json = JSON.stringify({
    f64: { dtype: "F64", shape: [5], data_offsets: [c, d] },
    bf16: { dtype: "BF16", shape: [2, 3], data_offsets: [b, c] },
    f16: { dtype: "F16", shape: [3, 3], data_offsets: [a, b] },
    f32: { dtype: "F32", shape: [2, 1, 3], data_offsets: [0, a] },
  });
  mixed = await put(s.file("mixed.safetensors"), stFile(json, data));
});
afterAll(async () => {
  await s.cleanup();
});

describe("readTensor", () => {
  it("reads F32 bit-exactly, including -0, subnormals, max, NaN and Inf", async () => {
    const h = await readSafetensorsHeader(mixed);
    const t = await readTensor(
      mixed,
      h.tensors.find((e) => e.name === "f32")!,
    );
    expect(t.name).toBe("f32");
    expect(t.shape).toEqual([2, 1, 3]);
    expect(bits(t.data)).toEqual(bits(Float32Array.from(F32)));
  });

  it("widens F16 and BF16 exactly", async () => {
    const h = await readSafetensorsHeader(mixed);
    const f16 = await readTensor(
      mixed,
      h.tensors.find((e) => e.name === "f16")!,
    );
    expect(f16.shape).toEqual([3, 3]);
    expect(Array.from(f16.data.subarray(0, 7))).toEqual([1, -2, 2 ** -24, 1023 * 2 ** -24, 65504, Infinity, -Infinity]);
    expect(bits(f16.data)[7]).toBe(0x7fc02000); // NaN with payload 1: quiet bit + (1 << 13)
    expect(Object.is(f16.data[8], -0)).toBe(true);
    const bf16 = await readTensor(
      mixed,
      h.tensors.find((e) => e.name === "bf16")!,
    );
    expect(bits(bf16.data)).toEqual(BF16.map((x) => (x << 16) >>> 0));
  });

  it("rounds F64 with Math.fround and does not reject the resulting infinity", async () => {
    const h = await readSafetensorsHeader(mixed);
    const t = await readTensor(
      mixed,
      h.tensors.find((e) => e.name === "f64")!,
    );
    expect(Array.from(t.data)).toEqual(F64.map(Math.fround));
    expect(t.data[2]).toBe(Infinity);
    // Non-finite values are the pipeline's job: assertFinite (QF_NON_FINITE) is what rejects them.
    expect(() => assertFinite(t)).toThrow(NonFiniteError);
  });

  it("reads every tensor through one open FileHandle, in any order, with small conversion chunks", async () => {
    const fh = await open(mixed, "r");
    try {
      const h = await readSafetensorsHeader(fh);
      for (const e of [...h.tensors].reverse()) {
        const viaPath = await readTensor(mixed, e);
        const viaHandle = await readTensor(fh, e, { chunkBytes: 6 });
        expect(bits(viaHandle.data)).toEqual(bits(viaPath.data));
      }
    } finally {
      await fh.close();
    }
  });

  it("reports data missing from a truncated file as QF_FORMAT, and a missing file as QF_IO", async () => {
    const h = await readSafetensorsHeader(mixed);
    const entry = h.tensors.at(-1)!;
    const cut = await put(s.file("cut.safetensors"), (await readFile(mixed)).subarray(0, entry.end - 3));
    await expect(readTensor(cut, entry)).rejects.toMatchObject({ code: ErrorCodes.FORMAT, message: expect.stringMatching(/truncated/) });
    await expect(readTensor(s.file("missing.safetensors"), entry)).rejects.toMatchObject({ code: ErrorCodes.IO });
  });

  it("rejects an entry inconsistent with its dtype and shape", async () => {
    const h = await readSafetensorsHeader(mixed);
    const e = h.tensors[0]!;
    await expect(readTensor(mixed, { ...e, shape: [999] })).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
    await expect(readTensor(mixed, { ...e, dtype: "I64" as never })).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
  });
});

describe("readTensorChunks", () => {
  it("yields consecutive runs that concatenate to the whole tensor", async () => {
    const h = await readSafetensorsHeader(mixed);
    for (const e of h.tensors) {
      const whole = await readTensor(mixed, e);
      const parts: Float32Array[] = [];
      for await (const c of readTensorChunks(mixed, e, { chunkBytes: 5 })) parts.push(c);
      const per = Math.max(1, Math.floor(5 / { F32: 4, F16: 2, BF16: 2, F64: 8 }[e.dtype]));
      expect(parts.map((p) => p.length)).toEqual(Array.from({ length: Math.ceil(whole.data.length / per) }, (_, i) => Math.min(per, whole.data.length - i * per)));
      const joined = new Float32Array(whole.data.length);
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      expect(bits(joined)).toEqual(bits(whole.data));
    }
  });
});

describe("streamSafetensors and loadSafetensors", () => {
  it("return tensors in data-offset order, not JSON key order", async () => {
    expect((await loadSafetensors(mixed)).map((t) => t.name)).toEqual(["f32", "f16", "bf16", "f64"]);
    const names: string[] = [];
    for await (const t of streamSafetensors(mixed)) names.push(t.name);
    expect(names).toEqual(["f32", "f16", "bf16", "f64"]);
  });

  it("validates the whole header before yielding anything", async () => {
    const bad = stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,8]}}`, new Uint8Array(8));
    const path = await put(s.file("bad.safetensors"), bad);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const t of streamSafetensors(path)) seen.push(t.name);
      })(),
    ).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
    expect(seen).toEqual([]);
  });

  it("stops early without error", async () => {
    for await (const t of streamSafetensors(mixed)) {
      expect(t.name).toBe("f32");
      break;
    }
  });

  it("reads an empty tensor and a scalar", async () => {
    const json = `{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F16","shape":[2,0],"data_offsets":[4,4]}}`;
    const path = await put(s.file("edge.safetensors"), stFile(json, f32le([7])));
    const ws = await loadSafetensors(path);
    expect(ws.map((t) => [t.name, t.shape, Array.from(t.data)])).toEqual([
      ["s", [], [7]],
      ["e", [2, 0], []],
    ]);
  });

  it("a missing file is QF_IO", async () => {
    await expect(loadSafetensors(s.file("absent.safetensors"))).rejects.toMatchObject({ code: ErrorCodes.IO });
  });

  it("serves many small tensors from read-ahead blocks: same values as readTensor, a few reads instead of one per tensor", async () => {
    // 3,000 tiny tensors of mixed dtypes around one 300 KB tensor (read directly), then a tail.
    const entries: Record<string, unknown> = {};
    const parts: Uint8Array[] = [];
    let off = 0;
    const add = (name: string, dtype: string, shape: number[], bytes: Uint8Array) => {
      entries[name] = { dtype, shape, data_offsets: [off, off + bytes.length] };
      parts.push(bytes);
      off += bytes.length;
    };
    for (let i = 0; i < 3000; i++) {
      if (i === 1500) add("big", "F32", [75_000], f32le(Array.from({ length: 75_000 }, (_, k) => Math.sin(k))));
      if (i % 3 === 0) add(`t${i}`, "F32", [3], f32le([i, -i / 7, 1 / (i + 1)]));
      else if (i % 3 === 1) add(`t${i}`, "F16", [2], u16le([0x3c00 + (i % 512), 0x8001]));
      else add(`t${i}`, "F64", [1], f64le([i / 3]));
    }
    const path = await put(s.file("many.safetensors"), stFile(JSON.stringify(entries), concat(...parts)));
    const header = await readSafetensorsHeader(path);
    const fh = await open(path, "r");
    const proto = Object.getPrototypeOf(fh) as { read: (...a: unknown[]) => unknown };
    await fh.close();
    const original = proto.read;
    let reads = 0;
    proto.read = function (this: unknown, ...a: unknown[]) {
      reads++;
      return original.apply(this, a);
    };
    let streamed: Awaited<ReturnType<typeof loadSafetensors>>;
    try {
      streamed = await loadSafetensors(path);
    } finally {
      proto.read = original;
    }
    expect(reads).toBeLessThan(60);
    expect(streamed.map((t) => t.name)).toEqual(header.tensors.map((e) => e.name));
    for (let i = 0; i < header.tensors.length; i += 7) {
      const one = await readTensor(path, header.tensors[i]!);
      expect(bits(streamed[i]!.data)).toEqual(bits(one.data));
    }
    expect(bits(streamed.find((t) => t.name === "big")!.data)).toEqual(
      bits(
        (
          await readTensor(
            path,
            header.tensors.find((e) => e.name === "big")!,
          )
        ).data,
      ),
    );
    // Truncated inside a read-ahead block: still QF_FORMAT, never zeros.
    const bytes = await readFile(path);
    const cut = await put(s.file("many-cut.safetensors"), bytes.subarray(0, bytes.length - 5));
    await expect(loadSafetensors(cut)).rejects.toMatchObject({ code: ErrorCodes.FORMAT });
  });
});

describe("readsInFlight", () => {
  it("loads a tensor of 16 MiB or more with several reads in flight to the same values", async () => {
    const n = 4_500_000; // 18 MB of F32: three 8 MiB pieces
    const data = new Uint8Array(n * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, Math.sin(i) * 1e-3 + (i % 97), true);
    const p = await put(s.file("big.safetensors"), stFile(`{"w":{"dtype":"F32","shape":[${n}],"data_offsets":[0,${n * 4}]},"b":{"dtype":"F32","shape":[2],"data_offsets":[${n * 4},${n * 4 + 8}]}}`, concat(data, f32le([1, 2]))));
    const one = await loadSafetensors(p);
    for (const options of [{ readsInFlight: 4 }, { readsInFlight: 2, shared: true }]) {
      const many = await loadSafetensors(p, options);
      expect(many.map((t) => t.name)).toEqual(["w", "b"]);
      for (const [i, t] of many.entries()) expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(one[i]!.data.buffer, one[i]!.data.byteOffset, one[i]!.data.byteLength))).toBe(true);
    }
    const h = await readSafetensorsHeader(p);
    const w = await readTensor(
      p,
      h.tensors.find((e) => e.name === "w")!,
      { readsInFlight: 3 },
    );
    expect(Buffer.from(w.data.buffer).equals(Buffer.from(one[0]!.data.buffer, one[0]!.data.byteOffset, one[0]!.data.byteLength))).toBe(true);
  });

  it("refuses a count that is not a positive integer", async () => {
    for (const bad of [0, 1.5, -2]) {
      await expect(loadSafetensors(mixed, { readsInFlight: bad })).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTIONS });
    }
  });
});
