import { codebookMap, dequantizeModel, type Coder } from "@quantforge/core";
import { decodeContainer } from "@quantforge/core/format";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { TargetMismatchError, writeTfjsModelBytes, type TfjsMemoryModel, type TfjsWeightOutput } from "@quantforge/io-tfjs/browser";
import { zipSync } from "fflate";

const CODERS: Record<string, Coder> = {
  fixed: fixedCoder().create(fixedCoder().parseOptions({})),
  huffman: huffmanCoder().create(huffmanCoder().parseOptions({})),
};

/** A cell's quantized model as a tfjs model folder, zipped. */
export interface TfjsDownload {
  /** `tfjs-native` (tfjs's own uint8/uint16 quantization) or `tfjs-float` (plain float32). */
  readonly target: "tfjs-native" | "tfjs-float";
  /** model.json and its shards, stored (not compressed) in a zip. */
  readonly zip: Uint8Array;
  readonly files: readonly string[];
}

/**
 * A cell's coded container (`.qf`, the bytes the page evaluated) rewritten as the input's own
 * format, as `quantforge quantize --target tfjs-native` writes it: every quantized tensor in
 * tfjs's own uint8/uint16 quantization when its codebook is expressible there exactly (one affine
 * scale and zero point per tensor, or equally spaced levels), so stock tfjs loads it unchanged;
 * otherwise (per-channel parameters, non-uniform levels — most sub-8-bit cells) the whole model
 * as `tfjs-float`: plain float32 shards holding the decoded weights. Either way stock tfjs
 * computes with exactly the weights the page evaluated.
 */
export async function tfjsDownload(model: TfjsMemoryModel, original: Parameters<typeof dequantizeModel>[1], qf: Uint8Array): Promise<TfjsDownload> {
  const q = decodeContainer(qf, (id) => {
    const c = CODERS[id];
    if (!c) throw new Error(`coder "${id}" is not bundled in the playground`);
    return c;
  }).model;
  const decoded = dequantizeModel(q, original);
  const cbs = codebookMap(q);
  const quantized = new Set(q.tensors.map((t) => t.name));
  const floats = decoded.filter((t) => !quantized.has(t.name)).map((t): [string, TfjsWeightOutput] => [t.name, { kind: "float", data: t.data }]);
  let target: TfjsDownload["target"] = "tfjs-native";
  let written;
  try {
    const outputs = new Map<string, TfjsWeightOutput>([...floats, ...q.tensors.map((t): [string, TfjsWeightOutput] => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }])]);
    written = await writeTfjsModelBytes(model, outputs, { target });
  } catch (e) {
    if (!(e instanceof TargetMismatchError)) throw e;
    target = "tfjs-float";
    written = await writeTfjsModelBytes(model, new Map(decoded.map((t): [string, TfjsWeightOutput] => [t.name, { kind: "float", data: t.data }])), { target });
  }
  const zip = zipSync(Object.fromEntries(written.files.map((f) => [f.name, f.bytes])), { level: 0 });
  return { target, zip, files: written.files.map((f) => f.name) };
}
