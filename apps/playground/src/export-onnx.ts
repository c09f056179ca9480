import { codebookMap, type Coder } from "@quantforge/core";
import { decodeContainer } from "@quantforge/core/format";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { encodeOnnxModel, type OnnxModel, type OnnxWeightOutput } from "@quantforge/io-onnx/browser";

const CODERS: Record<string, Coder> = {
  fixed: fixedCoder().create(fixedCoder().parseOptions({})),
  huffman: huffmanCoder().create(huffmanCoder().parseOptions({})),
};

/** A cell's quantized model as an `.onnx` file. */
export interface OnnxDownload {
  readonly bytes: Uint8Array;
  /** Tensors written as uint8 + DequantizeLinear. */
  readonly qdq: readonly string[];
  /** Quantized tensors DequantizeLinear cannot express, written as their decoded floats (with why). */
  readonly floatFallback: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * A cell's coded container (`.qf`, the bytes the page evaluated) rewritten as the input's own
 * format, as `quantforge quantize --target onnx-qdq` writes it (io-onnx's writer, to bytes):
 * every quantized tensor that DequantizeLinear expresses exactly (8-bit affine grids per tensor,
 * per channel or per block) becomes uint8 codes + scale + zero point feeding a DequantizeLinear
 * node; the others (non-uniform levels, …) are written as their decoded float values. Either way
 * onnxruntime computes with exactly the weights the page evaluated; the rest of the model is
 * copied byte for byte.
 */
export async function onnxDownload(model: OnnxModel, qf: Uint8Array): Promise<OnnxDownload> {
  const q = decodeContainer(qf, (id) => {
    const c = CODERS[id];
    if (!c) throw new Error(`coder "${id}" is not bundled in the playground`);
    return c;
  }).model;
  const cbs = codebookMap(q);
  const outputs = new Map(q.tensors.map((t): [string, OnnxWeightOutput] => [t.name, { kind: "quantized", tensor: t, codebook: cbs.get(t.codebook)! }]));
  const r = await encodeOnnxModel(model, outputs, { target: "onnx-qdq" });
  return { bytes: r.bytes, qdq: r.qdq, floatFallback: r.floatFallback };
}
