import "reflect-metadata";
import { isQuantforgeError, type CoderPlugin, type QuantizerPlugin } from "@quantforge/core";
import { cellOutcome, runPipeline } from "@quantforge/core/host";
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
import { fidelityEvaluator } from "@quantforge/evaluator-fidelity";
import { loadInput } from "./inputs.js";
import type { BrowserProbe } from "./model.js";
import type { CellMessage, CellOutput, RunRequest } from "./protocol.js";

/**
 * The compare of the playground, off the main thread: one pipeline per (method, bits, coder)
 * cell — quantize → code → decode → dequantize → SQNR and size, plus, for a tfjs or ONNX model, the
 * fidelity of the decoded model's outputs (the CLI's `compare --model` evaluators; `auto` then
 * measures its candidates on the model). Cells are posted as they finish.
 */
const BASE: QuantizerPlugin[] = [rtnQuantizer(), uniformMseQuantizer(), supportRegionQuantizer(), hessianEcsqQuantizer()];
const QUANTIZERS: Record<string, QuantizerPlugin> = Object.fromEntries([...BASE, autoQuantizer({ plugins: BASE }) as unknown as QuantizerPlugin].map((p) => [p.id, p]));
const CODERS: Record<string, CoderPlugin> = { fixed: fixedCoder(), huffman: huffmanCoder() };

const post = (m: CellMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const errorOf = (e: unknown) => (isQuantforgeError(e) ? { code: e.code, message: e.message } : { code: "QF_INTERNAL", message: String(e) });
/** The seed of every cell (as `quantforge compare --seed 1`): quantizers and fidelity inputs. */
const SEED = 1;
/** Outputs up to this many values are posted per cell (the page exposes them for checks). */
const MAX_POSTED_OUTPUT_VALUES = 1 << 16;

self.onmessage = async (ev: MessageEvent<RunRequest>) => {
  const req = ev.data;
  try {
    const input = await loadInput(req.source);
    let model: BrowserProbe | undefined;
    const runnable = (input.tfjs && input.tfjs.format !== "weights-manifest") || input.onnx;
    if (req.modelAware && runnable) {
      try {
        model = input.onnx ? await (await import("./onnx-model.js")).loadOnnxBrowserProbe(input.onnx, input.weights, input.title) : await (await import("./model.js")).loadBrowserProbe(input.tfjs!, input.weights, input.title);
      } catch (e) {
        // The weights still compare; say why the model cannot run (the CLI's code and message).
        post({ type: "notice", error: errorOf(e) });
      }
    }
    const fidelity = model ? model.probe.sampleInputs(32, SEED).description : null;
    post({ type: "loaded", title: input.title, format: input.format, tensors: input.weights.length, params: input.weights.reduce((n, t) => n + t.data.length, 0), fidelity });
    const evaluators = [sqnrEvaluator(), sizeEvaluator(), ...(model ? [fidelityEvaluator()] : [])];
    const plan = req.methods.flatMap((q) => req.bits.flatMap((bits) => req.coders.map((coder) => ({ q, bits, coder }))));
    const t0 = performance.now();
    for (const [index, c] of plan.entries()) {
      const start = performance.now();
      const head = { label: c.q, quantizer: c.q, options: { bits: c.bits }, bits: c.bits, coder: c.coder, index, sweep: { bits: c.bits } };
      try {
        const r = await runPipeline({
          weights: input.weights,
          ...(model ? { model: model.probe } : {}),
          quantizer: { plugin: QUANTIZERS[c.q]!, options: { bits: c.bits } },
          coder: { plugin: CODERS[c.coder]!, options: {} },
          evaluators: evaluators.map((plugin) => ({ plugin: plugin as never, options: {} })),
          options: { seed: SEED, metadata: { tensorOrder: input.weights.map((t) => t.name) } },
        });
        const o = await cellOutcome(r, normalizedSqnr);
        const bytes = r.encoded!.bytes.slice();
        const outs = model?.outputsFor(r.decoded);
        const outputs: CellOutput[] | undefined = outs && outs.reduce((n, x) => n + x.data.length, 0) <= MAX_POSTED_OUTPUT_VALUES ? outs.map((x) => ({ name: x.name, shape: [...x.shape], data: x.data.slice() })) : undefined;
        post(
          {
            type: "cell",
            index,
            total: plan.length,
            cell: { ...head, status: "ok", result: o.result, seconds: (performance.now() - start) / 1000, ...(o.normalized ? { normalized: o.normalized } : {}) },
            qf: bytes,
            codesSha256: o.codesSha256,
            ...(outputs ? { outputs } : {}),
          },
          [bytes.buffer, ...(outputs ?? []).map((x) => x.data.buffer)],
        );
      } catch (e) {
        post({ type: "cell", index, total: plan.length, cell: { ...head, status: "failed", error: errorOf(e), seconds: (performance.now() - start) / 1000 } });
      }
    }
    post({ type: "done", seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    post({ type: "error", error: errorOf(e) });
  }
};
