import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { FormatError, IoError } from "@quantforge/core";
import { makeDataset, type DatasetSplit } from "./dataset.js";

/** IDX element type code of unsigned bytes, the only type the MNIST family uses. */
const IDX_UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: "ubyte", 0x09: "sbyte", 0x0b: "int16", 0x0c: "int32", 0x0d: "float32", 0x0e: "float64" };

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** Dimensions from the header, outermost (the sample count) first. */
  readonly dims: readonly number[];
  /** The values, row-major (a view into the file's bytes). */
  readonly data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun's format: two zero bytes, a type byte, a rank byte, `rank` big-endian
 * uint32 dimensions, then the values). Only unsigned-byte data is accepted (all MNIST-family
 * files are). Gzip input (magic `1f 8b`) is inflated first. Throws {@link FormatError} on a bad
 * magic number, an unsupported type, a rank other than `expectRank`, or a size that does not
 * match the header (truncated or with trailing bytes).
 */
export function parseIdx(bytes: Uint8Array, what: string, expectRank?: number): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = new Uint8Array(gunzipSync(buf));
    } catch (e) {
      throw new FormatError(`${what} is a corrupt or truncated gzip file (${(e as Error).message}). Download it again.`, e);
    }
  }
  if (buf.length < 4) throw new FormatError(`${what} is truncated: ${buf.length} bytes, too short for an IDX header. Download it again.`);
  const magic = ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, "0")}`;
  if (buf[0] !== 0 || buf[1] !== 0) throw new FormatError(`${what} has magic number ${hex}, not an IDX file (it must start with two zero bytes). Check the file.`);
  const type = buf[2]!;
  const rank = buf[3]!;
  if (type !== IDX_UBYTE) {
    throw new FormatError(`${what} has magic number ${hex}: element type ${TYPE_NAMES[type] ?? `0x${type.toString(16)}`}, but MNIST-family files hold unsigned bytes (type 0x08). Check the file.`);
  }
  if (expectRank !== undefined && rank !== expectRank) {
    const want = (0x0800 | expectRank).toString(16).padStart(8, "0");
    throw new FormatError(`${what} has magic number ${hex} (rank ${rank}); expected 0x${want} (rank ${expectRank}). Check that images and labels files are not swapped.`);
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) throw new FormatError(`${what} is truncated inside its header (${buf.length} of ${headerBytes} bytes). Download it again.`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const need = headerBytes + size;
  if (buf.length < need) throw new FormatError(`${what} is truncated: the header announces ${dims.join("×")} values (${need} bytes) but the file has ${buf.length} bytes. Download it again.`);
  if (buf.length > need) throw new FormatError(`${what} has ${buf.length - need} unexpected bytes after the ${dims.join("×")} values its header announces. Check the file.`);
  return { dims, data: buf.subarray(headerBytes, need) };
}

/** Finds `<stem>` in `dir` under the usual spellings (`-idx3-ubyte` or `.idx3-ubyte`, raw or `.gz`). */
function findFile(dir: string, prefix: string, kind: "images" | "labels"): string {
  const rank = kind === "images" ? 3 : 1;
  const names = [`${prefix}-${kind}-idx${rank}-ubyte`, `${prefix}-${kind}.idx${rank}-ubyte`];
  const candidates = names.flatMap((n) => [n, `${n}.gz`]);
  for (const c of candidates) {
    const p = join(dir, c);
    if (existsSync(p)) return p;
  }
  throw new IoError(`no ${prefix} ${kind} file in "${dir}" (looked for ${candidates.join(", ")}). Put the MNIST-family IDX files there.`);
}

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new IoError(`cannot read "${path}": ${(e as Error).message}. Check the path and its permissions.`, e);
  }
}

/** Options of {@link loadIdx}. */
export interface IdxOptions {
  /** Number of classes; every label must be below it (default 10). */
  readonly classes?: number;
}

/**
 * Decodes one images + labels pair into a dataset: images `[n, rows, cols]` bytes are scaled to
 * [0, 1] and shaped `[n, rows, cols, 1]`. Throws {@link FormatError} when the counts differ or a
 * label is out of range.
 */
export function idxToDataset(images: IdxArray, labels: IdxArray, what: string, classes = 10): ReturnType<typeof makeDataset> {
  const [n, rows, cols] = images.dims as [number, number, number];
  const m = labels.dims[0]!;
  if (n !== m) throw new FormatError(`${what}: the images file holds ${n} images but the labels file ${m} labels. Use matching files.`);
  const x = new Float32Array(images.data.length);
  // Bytes → [0, 1], the scaling the embedded digits already have, so models work on both.
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const l = labels.data[i]!;
    if (l >= classes) throw new FormatError(`${what}: label ${l} at index ${i} is not below the ${classes} classes. Use MNIST-family files or set the class count.`);
    y[i] = l;
  }
  return makeDataset(x, y, [rows, cols, 1], classes);
}

/**
 * Reads the four standard MNIST-family files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`; each raw or `.gz`) from `dir`. Validates
 * magic numbers (0x00000803 images, 0x00000801 labels), sizes against the headers, image/label
 * counts and label range ({@link FormatError}); a missing file is an {@link IoError}.
 */
export function loadIdx(dir: string, opts: IdxOptions = {}): DatasetSplit {
  const classes = opts.classes ?? 10;
  const load = (prefix: "train" | "t10k") => {
    const ip = findFile(dir, prefix, "images");
    const lp = findFile(dir, prefix, "labels");
    const images = parseIdx(readBytes(ip), ip, 3);
    const labels = parseIdx(readBytes(lp), lp, 1);
    return idxToDataset(images, labels, `${dir} (${prefix})`, classes);
  };
  const train = load("train");
  const test = load("t10k");
  if (train.sampleShape.join() !== test.sampleShape.join()) {
    throw new FormatError(`${dir}: train images are ${train.sampleShape.slice(0, 2).join("×")} but test images ${test.sampleShape.slice(0, 2).join("×")}. Use files of one dataset.`);
  }
  return { train, test };
}

/** Encodes an IDX ubyte file (used by tests and by tools that write small datasets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
