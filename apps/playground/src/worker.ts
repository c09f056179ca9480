import "reflect-metadata";
import { cellOutcome, isQuantforgeError, runPipeline, type CoderPlugin, type QuantizerPlugin } from "@quantforge/core";
import { normalizedSqnr } from "@quantforge/metrics";
import { rtnQuantizer } from "@quantforge/quantizer-rtn";
import { uniformMseQuantizer } from "@quantforge/quantizer-uniform-mse";
import { supportRegionQuantizer } from "@quantforge/quantizer-support-region";
import { hessianEcsqQuantizer } from "@quantforge/quantizer-hessian-ecsq";
import { autoQuantizer } from "@quantforge/quantizer-auto";
import { fixedCoder } from "@quantforge/coder-fixed";
import { huffmanCoder } from "@quantforge/coder-huffman";
import { sqnrEvaluator } from "@quantforge/evaluator-sqnr";
import { sizeEvaluator } from "@quantforge/evaluator-size";
import { readFiles, readTfjs, type LoadedWeights } from "./weights.js";
import type { CellMessage, RunRequest } from "./protocol.js";

/**
 * The compare of the playground, off the main thread: one pipeline per (method, bits, coder)
 * cell on the loaded weights — quantize → code → decode → dequantize → SQNR and size, exactly
 * what the CLI's weights compare runs. Cells are posted as they finish.
 */
const BASE: QuantizerPlugin[] = [rtnQuantizer(), uniformMseQuantizer(), supportRegionQuantizer(), hessianEcsqQuantizer()] as unknown as QuantizerPlugin[];
const QUANTIZERS: Record<string, QuantizerPlugin> = Object.fromEntries([...BASE, autoQuantizer({ plugins: BASE }) as unknown as QuantizerPlugin].map((p) => [p.id, p]));
const CODERS: Record<string, CoderPlugin> = { fixed: fixedCoder() as unknown as CoderPlugin, huffman: huffmanCoder() as unknown as CoderPlugin };
const EVALUATORS = [sqnrEvaluator(), sizeEvaluator()];

const post = (m: CellMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function load(req: RunRequest): Promise<LoadedWeights> {
  if (req.sample) {
    const [json, bin] = await Promise.all([fetch(req.sample.modelJson).then((r) => r.text()), fetch(req.sample.weights).then((r) => r.arrayBuffer())]);
    return { ...readTfjs(json, new Map([["weights.bin", new Uint8Array(bin)]]), "mnist-mlp"), title: "mnist-mlp" };
  }
  return readFiles(req.files ?? []);
}

self.onmessage = async (ev: MessageEvent<RunRequest>) => {
  const req = ev.data;
  try {
    const input = await load(req);
    post({ type: "loaded", title: input.title, format: input.format, tensors: input.weights.length, params: input.weights.reduce((n, t) => n + t.data.length, 0) });
    const plan = req.methods.flatMap((q) => req.bits.flatMap((bits) => req.coders.map((coder) => ({ q, bits, coder }))));
    const t0 = performance.now();
    for (const [index, c] of plan.entries()) {
      const start = performance.now();
      const label = c.q;
      try {
        const r = await runPipeline({
          weights: input.weights,
          quantizer: { plugin: QUANTIZERS[c.q]!, options: { bits: c.bits } },
          coder: { plugin: CODERS[c.coder]!, options: {} },
          evaluators: EVALUATORS.map((plugin) => ({ plugin: plugin as never, options: {} })),
          options: { seed: 1, metadata: { tensorOrder: input.weights.map((t) => t.name) } },
        });
        const o = await cellOutcome(r, normalizedSqnr);
        const bytes = r.encoded!.bytes.slice();
        post({ type: "cell", index, total: plan.length, cell: { label, quantizer: c.q, options: { bits: c.bits }, bits: c.bits, coder: c.coder, status: "ok", result: o.result, seconds: (performance.now() - start) / 1000, index, sweep: { bits: c.bits }, ...(o.normalized ? { normalized: o.normalized } : {}) }, qf: bytes, codesSha256: o.codesSha256 }, [bytes.buffer]);
      } catch (e) {
        const error = isQuantforgeError(e) ? { code: e.code, message: e.message } : { code: "QF_INTERNAL", message: String(e) };
        post({ type: "cell", index, total: plan.length, cell: { label, quantizer: c.q, options: { bits: c.bits }, bits: c.bits, coder: c.coder, status: "failed", error, seconds: (performance.now() - start) / 1000, index, sweep: { bits: c.bits } } });
      }
    }
    post({ type: "done", seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    const error = isQuantforgeError(e) ? { code: e.code, message: e.message } : { code: "QF_INTERNAL", message: String(e) };
    post({ type: "error", error });
  }
};
