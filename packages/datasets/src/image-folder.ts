import { readdir } from "node:fs/promises";
import { ErrorCodes, FormatError, QuantforgeError, ShapeMismatchError, printable } from "@quantforge/core";
import { readContainedFile } from "@quantforge/core/node";
import { inputBatchAxes } from "./batch-axis.js";
import { DEFAULT_FLOAT_RANGE, MAX_GENERATED_VALUES, type InputRange, type InputRanges } from "./input-generator.js";
import type { ModelInputData, ModelInputDecl } from "./model-inputs.js";

/** File names read as images (case-insensitive). */
export const IMAGE_FILE = /\.(png|jpe?g)$/i;
/** Largest image file read (64 MiB: far above any photo a model is calibrated on). */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/** Default range of an int32 image input fed from images: the pixel bytes, integers in [0, 256). */
const INT_IMAGE_RANGE: InputRange = [0, 256];

/** Where an image input keeps its channels. */
export type ImageLayout = "NHWC" | "NCHW";

/** The image geometry of an input's sample shape (batch removed): channels 1, 3 or 4 last (NHWC) or first (NCHW). */
export function imageGeometry(sampleShape: readonly (number | null)[]): { layout: ImageLayout; h: number | null; w: number | null; c: number } | null {
  if (sampleShape.length !== 3) return null;
  const ch = (c: number | null | undefined): c is number => c === 1 || c === 3 || c === 4;
  const [a, b, c] = sampleShape;
  if (ch(c)) return { layout: "NHWC", h: a ?? null, w: b ?? null, c };
  if (ch(a)) return { layout: "NCHW", h: b ?? null, w: c ?? null, c: a };
  return null;
}

/** Whether `names` (a folder listing) holds any image file. */
export function hasImages(names: readonly string[]): boolean {
  return names.some((n) => IMAGE_FILE.test(n));
}

/**
 * Reads a folder of PNG/JPEG images as the samples of a model's one image input: files in
 * sorted name order (code-point order, so the same folder gives the same samples everywhere),
 * each read through the file policy (contained in the folder, regular files only, at most
 * {@link MAX_IMAGE_FILE_BYTES}), decoded with jimp, resized (bilinear) to the input's height and
 * width, laid out NHWC or NCHW as the model's input shape says (channels 1, 3 or 4 on the last or
 * second axis; 1 channel is the luminance), pixels scaled to [0, 1] or the input's range. An int32
 * image input (TF object-detection exports take the uint8 image cast to int32) gets the pixel
 * bytes themselves, integers 0…255, or integers in the input's range `[lo, hi)`.
 *
 * @param inputShapes - Per-input shapes (batch excluded) for inputs whose height/width the model leaves unknown.
 * @throws {QuantforgeError} `QF_USAGE` when the folder holds no image, or the model has not exactly
 *   one image input.
 * @throws {FormatError} `QF_FORMAT` for a file that does not decode as an image.
 * @throws {ShapeMismatchError} when the input's height or width is unknown and not given, or the
 *   images would need more than {@link MAX_GENERATED_VALUES} values.
 */
export async function loadImageFolder(dir: string, decls: readonly ModelInputDecl[], opts: { inputShapes?: ReadonlyMap<string, readonly number[]>; inputRanges?: InputRanges } = {}): Promise<ModelInputData> {
  const names = (await readdir(dir)).filter((n) => IMAGE_FILE.test(n)).sort();
  if (names.length === 0)
    throw new QuantforgeError(
      ErrorCodes.USAGE,
      `--data folder "${printable(dir)}" holds no .png/.jpg/.jpeg image. Put the calibration images there, or pass a .safetensors file of model inputs (MNIST IDX folders go with MNIST layers models only).`,
    );
  const axes = inputBatchAxes(decls);
  if (decls.length !== 1)
    throw new QuantforgeError(
      ErrorCodes.USAGE,
      `a folder of images feeds a model with one image input, but this model takes ${decls.length} inputs (${decls.map((d) => printable(d.name)).join(", ")}). Pass a .safetensors file with one tensor per input.`,
    );
  const d = decls[0]!;
  const given = opts.inputShapes?.get(d.name) ?? opts.inputShapes?.get(d.name.replace(/:0$/, ""));
  const declared = d.shape ? d.shape.filter((_, k) => k !== axes[0]) : null;
  const geo = imageGeometry(given ?? declared ?? []);
  const integer = d.dtype === "int32";
  if ((d.dtype !== "float32" && !integer) || !geo)
    throw new QuantforgeError(
      ErrorCodes.USAGE,
      `model input "${printable(d.name)}" [${d.shape?.map((x) => x ?? "?").join(", ") ?? "unknown rank"}] is not an image (float32 or int32, height × width with 1, 3 or 4 channels first or last), so a folder of images cannot feed it. Pass a .safetensors file.`,
    );
  if (geo.h === null || geo.w === null)
    throw new ShapeMismatchError(
      `model input "${printable(d.name)}" leaves its image height or width unknown. Pass --input-shape ${d.name.replace(/:0$/, "")}=${geo.layout === "NHWC" ? `H,W,${geo.c}` : `${geo.c},H,W`} to say what size the images are resized to.`,
    );
  const { h, w, c, layout } = geo;
  const per = h * w * c;
  if (names.length * per > MAX_GENERATED_VALUES) throw new ShapeMismatchError(`--data folder "${printable(dir)}" holds ${names.length} images of ${per} values each, more than the cap of ${MAX_GENERATED_VALUES} values. Use fewer images.`);
  const [lo, hi]: InputRange = opts.inputRanges?.byName?.get(d.name) ?? opts.inputRanges?.byName?.get(d.name.replace(/:0$/, "")) ?? opts.inputRanges?.all ?? (integer ? INT_IMAGE_RANGE : DEFAULT_FLOAT_RANGE);
  const { Jimp, ResizeStrategy } = await import("jimp");
  const out = new Float32Array(names.length * per);
  for (let k = 0; k < names.length; k++) {
    const bytes = await readContainedFile(dir, names[k]!, { what: "image", maxBytes: MAX_IMAGE_FILE_BYTES });
    let img: Awaited<ReturnType<typeof Jimp.fromBuffer>>;
    try {
      img = await Jimp.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new FormatError(`image "${printable(names[k]!)}" in --data folder "${printable(dir)}" cannot be decoded (${(e as Error).message.split("\n")[0]}). Remove it or re-save it as PNG or JPEG.`, e);
    }
    if (img.bitmap.width !== w || img.bitmap.height !== h) img.resize({ w, h, mode: ResizeStrategy.BILINEAR });
    const px = img.bitmap.data;
    const base = k * per;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = (y * w + x) * 4;
        const rgba = c === 1 ? [0.299 * px[p]! + 0.587 * px[p + 1]! + 0.114 * px[p + 2]!] : [px[p]!, px[p + 1]!, px[p + 2]!, px[p + 3]!];
        for (let ch = 0; ch < c; ch++) {
          // Integers split [lo, hi) into equal bins of the 256 byte values, so the default range gives the byte itself.
          const v = integer ? lo + Math.floor(((hi - lo) * rgba[ch]!) / 256) : lo + ((hi - lo) * rgba[ch]!) / 255;
          out[base + (layout === "NHWC" ? (y * w + x) * c + ch : (ch * h + y) * w + x)] = v;
        }
      }
    }
  }
  const sampleShape = layout === "NHWC" ? [h, w, c] : [c, h, w];
  return { path: dir, count: names.length, tensors: new Map([[d.name, { shape: [names.length, ...sampleShape], data: out }]]) };
}
