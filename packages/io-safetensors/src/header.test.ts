import { open } from "node:fs/promises";
import { ErrorCodes, isQuantforgeError } from "@quantforge/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsHeader, type ReadHeaderOptions } from "./header.js";
import { concat, f32le, put, scratchDir, stFile } from "./__fixtures__/files.js";

let s: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  s = await scratchDir();
});
afterAll(async () => {
  await s.cleanup();
});

let n = 0;
async function fileOf(bytes: Uint8Array): Promise<string> {
  return put(s.file(`case-${n++}.safetensors`), bytes);
}

/** Reads the header and returns the typed error it throws (failing if it does not throw one). */
async function failure(bytes: Uint8Array, options?: ReadHeaderOptions): Promise<{ code: string; message: string }> {
  const path = await fileOf(bytes);
  try {
    await readSafetensorsHeader(path, options);
  } catch (e) {
    if (!isQuantforgeError(e)) throw e;
    expect(e.message).not.toContain("\n");
    return { code: e.code, message: e.message };
  }
  throw new Error("expected readSafetensorsHeader to throw");
}

const T = (name: string, spec: string) => `"${name}":${spec}`;
const f32 = (shape: number[], b: number, e: number) => `{"dtype":"F32","shape":[${shape.join(",")}],"data_offsets":[${b},${e}]}`;

describe("readSafetensorsHeader: valid files", () => {
  it("reports sizes, metadata and absolute offsets sorted by data offset", async () => {
    // Keys deliberately out of data order, including integer-like names that JS objects reorder.
    const json = `{${T("z", f32([2], 0, 8))},"__metadata__":{"format":"pt","note":"ü"},${T("10", f32([1], 12, 16))},${T("2", f32([1], 8, 12))}}`;
    const h = new TextEncoder().encode(json);
    const path = await fileOf(stFile(h, f32le([1, 2, 3, 4])));
    const header = await readSafetensorsHeader(path);
    const off = 8 + h.length;
    expect(header).toEqual({
      path,
      fileSize: off + 16,
      headerSize: h.length,
      dataOffset: off,
      metadata: { format: "pt", note: "ü" },
      tensors: [
        { name: "z", dtype: "F32", shape: [2], begin: off, end: off + 8 },
        { name: "2", dtype: "F32", shape: [1], begin: off + 8, end: off + 12 },
        { name: "10", dtype: "F32", shape: [1], begin: off + 12, end: off + 16 },
      ],
    });
  });

  it("accepts an empty header, null metadata, padding, scalars, empty tensors and every readable dtype", async () => {
    expect((await readSafetensorsHeader(await fileOf(stFile("{}")))).tensors).toEqual([]);
    const json = `{"__metadata__":null,${T("s", f32([], 0, 4))},"e":{"dtype":"BF16","shape":[3,0],"data_offsets":[4,4]},"h":{"dtype":"F16","shape":[2],"data_offsets":[4,8]},"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[16,18],"extra":"ignored"}}      `;
    const header = await readSafetensorsHeader(await fileOf(stFile(json, new Uint8Array(18))));
    expect(header.metadata).toEqual({});
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ["s", "F32", []],
      ["e", "BF16", [3, 0]],
      ["h", "F16", [2]],
      ["d", "F64", [1]],
      ["b", "BF16", [1]],
    ]);
  });

  it("finds keys in text order through escapes, nested brackets and commas inside strings", async () => {
    const json = `{"__metadata__":{"x":"{\\"a\\":[1,2]}, \\"b\\""},"q\\"{,":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"9":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"[":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`;
    const header = await readSafetensorsHeader(await fileOf(stFile(json)));
    expect(header.metadata).toEqual({ x: '{"a":[1,2]}, "b"' });
    // All four are empty at offset 0: the tie keeps text order, not Object.keys order ("1", "9" first).
    expect(header.tensors.map((t) => t.name)).toEqual(['q"{,', "9", "[", "1"]);
  });

  it("reads from an open FileHandle and leaves it open", async () => {
    const path = await fileOf(stFile(`{${T("a", f32([1], 0, 4))}}`, f32le([5])));
    const fh = await open(path, "r");
    try {
      const h = await readSafetensorsHeader(fh);
      expect(h.tensors[0]!.name).toBe("a");
      expect(h.path).toBe(`fd ${fh.fd}`);
      expect((await fh.stat()).size).toBe(h.fileSize); // still usable
    } finally {
      await fh.close();
    }
  });
});

describe("readSafetensorsHeader: malformed files give QF_FORMAT", () => {
  const cases: [string, () => Uint8Array, RegExp, ReadHeaderOptions?][] = [
    ["empty file", () => new Uint8Array(0), /0 bytes, shorter than the 8-byte/],
    ["file shorter than 8 bytes", () => new Uint8Array(5), /5 bytes, shorter than the 8-byte/],
    ["header length above the cap", () => stFile("{}", new Uint8Array(0), 100_000_001), /100000001-byte JSON header, above the 100000000-byte limit/],
    ["header length above a custom cap", () => stFile(`{${T("a", f32([1], 0, 4))}}`, f32le([1])), /above the 16-byte limit/, { maxHeaderBytes: 16 }],
    ["header length near 2^64", () => stFile("{}", new Uint8Array(0), 2n ** 64n - 1n), /18446744073709551615-byte JSON header/],
    ["header length beyond the file", () => stFile("{}", new Uint8Array(0), 50), /50-byte header but only 2 bytes follow/],
    ["header not UTF-8", () => stFile(Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d)), /not valid UTF-8/],
    ["header with a byte-order mark", () => stFile(concat(Uint8Array.of(0xef, 0xbb, 0xbf), new TextEncoder().encode("{}"))), /not valid JSON/],
    ["header not JSON", () => stFile(`{"a":`), /not valid JSON/],
    ["header padded with NULs", () => stFile(`{}\0\0\0\0\0\0`), /not valid JSON/],
    ["header a JSON array", () => stFile(`[1,2]`), /is an array, not a JSON object/],
    ["header JSON null", () => stFile(`null`), /is null, not a JSON object/],
    ["header a JSON number", () => stFile(`42`), /is a number, not a JSON object/],
    ["metadata an array", () => stFile(`{"__metadata__":["a"]}`), /"__metadata__" .* is an array, not a map/],
    ["metadata a string", () => stFile(`{"__metadata__":"x"}`), /"__metadata__" .* is a string/],
    ["metadata value a number", () => stFile(`{"__metadata__":{"epoch":3}}`), /key "epoch" holds a number/],
    ["metadata value null", () => stFile(`{"__metadata__":{"k":null}}`), /key "k" holds null/],
    ["entry not an object", () => stFile(`{"a":5}`), /tensor "a" .* is a number, not an object/],
    ["entry missing dtype", () => stFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)), /tensor "a" .* has no "dtype"/],
    ["dtype not a string", () => stFile(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)), /has a number as "dtype"/],
    ["unknown dtype", () => stFile(`{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)), /unknown dtype "Q7"/],
    ["lower-case dtype", () => stFile(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4)), /unknown dtype "f32"/],
    ["unsupported dtype I64", () => stFile(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, new Uint8Array(8)), /dtype I64, which quantforge does not read/],
    ["unsupported dtype U8", () => stFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, new Uint8Array(1)), /dtype U8, which quantforge does not read/],
    ["entry missing shape", () => stFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, new Uint8Array(4)), /has no "shape"/],
    ["shape not an array", () => stFile(`{"a":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}`, new Uint8Array(16)), /has a number as "shape"/],
    ["negative dimension", () => stFile(`{"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]}}`, new Uint8Array(4)), /shape \[2,-1\]: dimensions must be non-negative integers/],
    ["fractional dimension", () => stFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, new Uint8Array(4)), /dimensions must be non-negative integers/],
    ["string dimension", () => stFile(`{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, new Uint8Array(8)), /dimensions must be non-negative integers/],
    ["entry missing data_offsets", () => stFile(`{"a":{"dtype":"F32","shape":[1]}}`, new Uint8Array(4)), /data_offsets missing/],
    ["data_offsets of length 3", () => stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, new Uint8Array(4)), /data_offsets \[0,4,8\]; it must be \[begin, end\]/],
    ["negative offset", () => stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, new Uint8Array(4)), /must be \[begin, end\], two non-negative integers/],
    ["fractional offset", () => stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}`, new Uint8Array(4)), /two non-negative integers/],
    ["offset beyond 2^53", () => stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18014398509481984]}}`, new Uint8Array(4)), /two non-negative integers/],
    ["end before begin", () => stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`, new Uint8Array(8)), /\[8, 4\] with end before begin/],
    ["end past the data section", () => stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}`, new Uint8Array(8)), /past the end of the 8-byte data section/],
    ["byte size not product(shape) × dtype size", () => stFile(`{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}`, new Uint8Array(12)), /holds 12 bytes but dtype F32 × shape \[2, 2\] needs 16/],
    ["F16 size counted as F32", () => stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, new Uint8Array(8)), /holds 8 bytes but dtype F16 × shape \[2\] needs 4/],
    ["size overflowing 2^53", () => stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, new Uint8Array(4)), /needs more than 2\^53/],
    ["overlapping tensors", () => stFile(`{${T("a", f32([4], 0, 16))},${T("b", f32([4], 8, 24))}}`, new Uint8Array(24)), /tensors "a" \[0, 16\) and "b" \[8, 24\) overlap/],
    ["identical ranges", () => stFile(`{${T("a", f32([2], 0, 8))},${T("b", f32([2], 0, 8))}}`, new Uint8Array(8)), /overlap/],
    ["a hole between tensors", () => stFile(`{${T("a", f32([1], 0, 4))},${T("b", f32([1], 8, 12))}}`, new Uint8Array(12)), /4 unused bytes at data offset 4 before tensor "b"/],
    ["a hole before the first tensor", () => stFile(`{${T("a", f32([1], 4, 8))}}`, new Uint8Array(8)), /4 unused bytes at data offset 0/],
    ["bytes after the last tensor", () => stFile(`{${T("a", f32([1], 0, 4))}}`, new Uint8Array(7)), /3 bytes after the last tensor/],
    ["data but no tensors", () => stFile(`{}`, new Uint8Array(4)), /4 bytes after the last tensor/],
    ["a duplicated key hiding a tensor's bytes", () => stFile(`{${T("a", f32([1], 0, 4))},${T("a", f32([1], 4, 8))}}`, new Uint8Array(8)), /lists "a" twice/],
    ["a duplicated metadata key", () => stFile(`{"__metadata__":{},"__metadata__":{}}`), /lists "__metadata__" twice/],
  ];
  for (const [what, bytes, message, options] of cases) {
    it(what, async () => {
      const err = await failure(bytes(), options);
      expect(err.code).toBe(ErrorCodes.FORMAT);
      expect(err.message).toMatch(message);
    });
  }

  it("a truncated file fails whether cut in the prefix, the header or the data", async () => {
    const whole = stFile(`{${T("a", f32([4], 0, 16))}}`, f32le([1, 2, 3, 4]));
    for (const cut of [3, 8, 20, whole.length - 16, whole.length - 1]) {
      const err = await failure(whole.subarray(0, cut));
      expect(err.code, `cut at ${cut}`).toBe(ErrorCodes.FORMAT);
      expect(err.message).toMatch(/truncated/);
    }
  });
});

describe("readSafetensorsHeader: allowHoles", () => {
  it("accepts gaps and trailing bytes but still rejects overlaps", async () => {
    const gap = stFile(`{${T("b", f32([1], 8, 12))},${T("a", f32([1], 0, 4))}}`, new Uint8Array(20));
    const h = await readSafetensorsHeader(await fileOf(gap), { allowHoles: true });
    expect(h.tensors.map((t) => t.name)).toEqual(["a", "b"]);
    const overlap = stFile(`{${T("a", f32([4], 0, 16))},${T("b", f32([1], 4, 8))}}`, new Uint8Array(16));
    expect((await failure(overlap, { allowHoles: true })).message).toMatch(/overlap/);
  });

  it("lets empty tensors sit anywhere without counting as overlaps", async () => {
    const json = `{${T("a", f32([2], 0, 8))},${T("e", f32([0], 4, 4))},${T("f", f32([0, 3], 8, 8))}}`;
    const h = await readSafetensorsHeader(await fileOf(stFile(json, new Uint8Array(8))));
    expect(h.tensors.map((t) => t.name)).toEqual(["a", "e", "f"]);
  });
});

describe("readSafetensorsHeader: I/O errors give QF_IO", () => {
  it("a missing file", async () => {
    await expect(readSafetensorsHeader(s.file("nope.safetensors"))).rejects.toMatchObject({ code: ErrorCodes.IO, message: expect.stringMatching(/does not exist/) });
  });
  it("a directory", async () => {
    await expect(readSafetensorsHeader(s.dir)).rejects.toMatchObject({ code: ErrorCodes.IO });
  });
});
