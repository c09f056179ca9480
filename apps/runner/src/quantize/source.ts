import { open } from "node:fs/promises";
import { readSafetensorsHeader, readTensor } from "@quantforge/io-safetensors";
import { isFloatEntry, isLegacyTfjsTopologyPath, legacyTfjsAdvice, readTfjsModel, readTfjsTensor, type TfjsModel } from "@quantforge/io-tfjs";
import { nbitsWeights, readOnnxModel, readOnnxTensor, isWeightInitializer, type OnnxModel } from "@quantforge/io-onnx";
import type { WeightTensor } from "@quantforge/core";
import { UsageError } from "../errors.js";
import { sha256File } from "../file-hash.js";
import { safetensorsDigest } from "./input-digest.js";
import { transposedView } from "./nbits-view.js";

/** Input formats `quantforge quantize` reads. */
export type InputFormat = "tfjs" | "onnx" | "safetensors";
/** Every write target. */
export type QuantizeTarget = "tfjs-native" | "tfjs-coded" | "tfjs-float" | "onnx" | "onnx-qdq" | "onnx-nbits" | "safetensors-float" | "qf";

/** Targets each input format can be written to; the first is the default. */
export const TARGETS: Readonly<Record<InputFormat, readonly QuantizeTarget[]>> = {
  tfjs: ["tfjs-coded", "tfjs-native", "tfjs-float", "qf"],
  onnx: ["onnx", "onnx-qdq", "onnx-nbits", "qf"],
  safetensors: ["qf", "safetensors-float"],
};

/** Targets whose files hold coder streams. */
export const CODED_TARGETS: ReadonlySet<QuantizeTarget> = new Set(["tfjs-coded", "qf"]);

/** The format of an input path, from its name. */
export function inputFormat(path: string): InputFormat {
  const p = path.toLowerCase();
  if (p.endsWith(".json")) return "tfjs";
  if (p.endsWith(".onnx")) return "onnx";
  if (p.endsWith(".safetensors")) return "safetensors";
  if (isLegacyTfjsTopologyPath(path)) throw new UsageError(legacyTfjsAdvice(`"${path}"`));
  throw new UsageError(`cannot tell the format of "${path}". Pass a tfjs model.json, an .onnx file or a .safetensors file.`);
}

/** One weight slot of the input, in file order. */
export interface SourceEntry {
  readonly name: string;
  /** A float tensor quantforge may quantize. */
  readonly float: boolean;
  read(): Promise<WeightTensor>;
}

/** An opened input model: its weight slots in file order. */
export interface Source {
  readonly format: string;
  readonly entries: readonly SourceEntry[];
  readonly fileBytes: number;
  readonly tfjs?: TfjsModel;
  readonly onnx?: OnnxModel;
  /** onnx-nbits: MatMul weights read as their transposed view `[N, K]`, with their stored `[K, N]`. */
  readonly transposed?: ReadonlyMap<string, { readonly k: number; readonly n: number }>;
  /** The input file's SHA-256 (hex), from the bytes read when it can (safetensors), else read from disk. */
  sha256(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens `path` (of format `fmt`) for reading its weight slots one at a time. For `onnx-nbits`,
 * the MatMul weights MatMulNBits can replace are read as their transposed view (see
 * `transposedView`), so per-group grids run along K. With `shared`, safetensors tensors are read
 * into shared memory (the `--threads` workers read them in place), and hashed as they are read.
 */
export async function openSource(path: string, fmt: InputFormat, target?: QuantizeTarget, options: { shared?: boolean } = {}): Promise<Source> {
  if (fmt === "tfjs") {
    const m = await readTfjsModel(path);
    return {
      format: `tfjs ${m.format}`,
      fileBytes: m.fileBytes,
      tfjs: m,
      sha256: () => sha256File(path),
      close: async () => undefined,
      entries: m.entries.map((e) => ({ name: e.spec.name, float: isFloatEntry(e), read: () => readTfjsTensor(m, e) })),
    };
  }
  if (fmt === "onnx") {
    const m = await readOnnxModel(path);
    const views = new Map(target === "onnx-nbits" ? [...nbitsWeights(m)].map(([name, w]) => [name, { k: w.k, n: w.n }]) : []);
    return {
      format: "onnx",
      fileBytes: m.fileBytes,
      onnx: m,
      transposed: views,
      sha256: () => sha256File(path),
      close: async () => undefined,
      entries: m.initializers.map((i) => ({ name: i.name, float: isWeightInitializer(i), read: async () => (views.has(i.name) ? transposedView(await readOnnxTensor(m, i)) : readOnnxTensor(m, i)) })),
    };
  }
  const header = await readSafetensorsHeader(path);
  const fh = await open(path, "r");
  const digest = await safetensorsDigest(path, fh, header).catch(async (e: unknown) => {
    await fh.close();
    throw e;
  });
  return {
    format: "safetensors",
    fileBytes: header.fileSize,
    sha256: () => digest.digest(),
    close: () => fh.close(),
    entries: header.tensors.map((e) => ({
      name: e.name,
      float: true,
      read: async () => {
        const t = await readTensor(fh, e, options.shared ? { shared: true } : {});
        digest.read(e, t);
        return t;
      },
    })),
  };
}
