import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Jimp } from "jimp";
import { beforeAll, describe, expect, it } from "vitest";
import { imageGeometry, loadImageFolder } from "./image-folder.js";
import { parseInputRanges } from "./input-generator.js";
import { inputDataset, resolveInputLayout, type ModelInputDecl } from "./model-inputs.js";
import { loadInputData } from "./input-data.js";

let dir: string;
/** Solid-colour images (r, g, b) of different sizes, written by jimp itself; names sort b < c < d. */
const colours: [string, number, number, number, number, number][] = [
  ["c.png", 255, 0, 0, 9, 7],
  ["b.png", 0, 255, 0, 4, 4],
  ["d.jpg", 0, 0, 255, 5, 3],
];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "qf-images-"));
  for (const [name, r, g, b, w, h] of colours) {
    const img = new Jimp({ width: w, height: h, color: ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0 });
    writeFileSync(join(dir, name), await img.getBuffer(name.endsWith(".png") ? "image/png" : "image/jpeg", { quality: 100 } as never));
  }
  writeFileSync(join(dir, "notes.txt"), "not an image");
});

const nhwc: ModelInputDecl[] = [{ name: "x", shape: [null, 2, 3, 3], dtype: "float32" }];
const nchw: ModelInputDecl[] = [{ name: "x", shape: [1, 3, 2, 5], dtype: "float32" }];

describe("imageGeometry", () => {
  it("channels 1, 3 or 4 last (NHWC) or first (NCHW); anything else is not an image", () => {
    expect(imageGeometry([64, 64, 1])).toEqual({ layout: "NHWC", h: 64, w: 64, c: 1 });
    expect(imageGeometry([3, null, 224])).toEqual({ layout: "NCHW", h: null, w: 224, c: 3 });
    expect(imageGeometry([25, 96])).toBeNull();
    expect(imageGeometry([5, 6, 7])).toBeNull();
  });
});

describe("loadImageFolder", () => {
  it("sorted names, resized to the input, NHWC in [0, 1]; NCHW and --input-range likewise", async () => {
    const d = await loadImageFolder(dir, nhwc);
    const t = d.tensors.get("x")!;
    expect([d.count, t.shape]).toEqual([3, [3, 2, 3, 3]]);
    // b.png (green) first, then c.png (red), then d.jpg (blue, JPEG: within rounding).
    const px = (k: number) => [...t.data.subarray(k * 18, k * 18 + 3)];
    expect(px(0)).toEqual([0, 1, 0]);
    expect(px(1)).toEqual([1, 0, 0]);
    px(2).forEach((v, i) => expect(v).toBeCloseTo([0, 0, 1][i]!, 1));
    const c = await loadImageFolder(dir, nchw, { inputRanges: parseInputRanges(["x=-1,1"]) });
    const u = c.tensors.get("x")!;
    expect(u.shape).toEqual([3, 3, 2, 5]);
    // Sample 1 (red): channel 0 plane all 1, channel 1 plane all −1.
    expect([...u.data.subarray(30, 40)]).toEqual(new Array(10).fill(1));
    expect([...u.data.subarray(40, 50)]).toEqual(new Array(10).fill(-1));
    // Through loadInputData (a folder) into the flat layout the commands feed.
    const layout = resolveInputLayout("m", nhwc);
    expect(inputDataset(layout, await loadInputData(dir, nhwc)).inputs).toEqual(t.data);
  });
  it("grey models get the luminance; unknown sizes need --input-shape", async () => {
    const g = await loadImageFolder(dir, [{ name: "x", shape: [null, 2, 2, 1], dtype: "float32" }]);
    expect(g.tensors.get("x")!.data[4]).toBeCloseTo(0.299, 5); // c.png (red)
    const dyn: ModelInputDecl[] = [{ name: "x", shape: [null, null, null, 3], dtype: "float32" }];
    await expect(loadImageFolder(dir, dyn)).rejects.toMatchObject({ code: "QF_SHAPE_MISMATCH", message: expect.stringMatching(/--input-shape x=H,W,3/) });
    expect((await loadImageFolder(dir, dyn, { inputShapes: new Map([["x", [4, 4, 3]]]) })).tensors.get("x")!.shape).toEqual([3, 4, 4, 3]);
  });
  it("int32 image inputs (TF object-detection exports) get the pixel bytes, or integers in --input-range [lo, hi)", async () => {
    const int: ModelInputDecl[] = [{ name: "image", shape: [1, null, null, 3], dtype: "int32" }];
    const d = await loadImageFolder(dir, int, { inputShapes: new Map([["image", [2, 3, 3]]]) });
    const t = d.tensors.get("image")!;
    expect(t.shape).toEqual([3, 2, 3, 3]);
    expect([...t.data.subarray(0, 3)]).toEqual([0, 255, 0]); // b.png (green)
    expect([...t.data.subarray(18, 21)]).toEqual([255, 0, 0]); // c.png (red)
    t.data.subarray(36).forEach((v) => expect(Number.isInteger(v) && v >= 0 && v < 256).toBe(true)); // d.jpg: integers within rounding
    const r = await loadImageFolder(dir, int, { inputShapes: new Map([["image", [2, 3, 3]]]), inputRanges: parseInputRanges(["0,10"]) });
    expect([...r.tensors.get("image")!.data.subarray(0, 3)]).toEqual([0, 9, 0]);
    await expect(loadImageFolder(dir, [{ name: "x", shape: [null, 2, 2, 3], dtype: "int64" }])).rejects.toMatchObject({ code: "QF_USAGE" });
  });
  it("typed errors: no images (QF_USAGE), an undecodable image (QF_FORMAT), not an image input (QF_USAGE)", async () => {
    const empty = mkdtempSync(join(tmpdir(), "qf-noimg-"));
    await expect(loadImageFolder(empty, nhwc)).rejects.toMatchObject({ code: "QF_USAGE" });
    const bad = join(empty, "sub");
    mkdirSync(bad);
    writeFileSync(join(bad, "a.png"), "garbage");
    await expect(loadImageFolder(bad, nhwc)).rejects.toMatchObject({ code: "QF_FORMAT", message: expect.stringMatching(/"a\.png"/) });
    await expect(loadImageFolder(dir, [{ name: "a", shape: [null, 25, 96], dtype: "float32" }])).rejects.toMatchObject({ code: "QF_USAGE" });
    await expect(loadImageFolder(dir, [...nhwc, { name: "b", shape: [null, 2], dtype: "float32" }])).rejects.toMatchObject({ code: "QF_USAGE" });
  });
});
