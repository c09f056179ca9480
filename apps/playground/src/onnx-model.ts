import * as ortWeb from "onnxruntime-web/wasm";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.wasm?url";
import type { ForwardOutput, WeightSet, WeightTensor } from "@quantforge/core";
import { describeGenerated, generateSamples, resolveInputLayout, runInBatches, type BatchOutput } from "@quantforge/datasets/browser";
import { createOnnxSession, isWeightInitializer, onnxInputDecls, runOnnxSession, type OnnxModel, type Ort } from "@quantforge/io-onnx/browser";
import { weightFeeder, weightsAsInputs } from "@quantforge/model-onnx/browser";
import type { BrowserProbe } from "./model.js";

/**
 * The user's ONNX model, running in the worker on onnxruntime-web's `wasm` backend (bundled from
 * npm; its `.wasm` is one of the app's own assets), as the probe `quantforge compare --model`
 * builds for an `.onnx` file (model-onnx's): every FLOAT/FLOAT16 initializer becomes a graph
 * input (`weightsAsInputs`), one session runs the model with any weights fed per run
 * (`weightFeeder`), in batches of 256, on the shared seeded input generator's samples.
 * Loaded with a dynamic import: weights-only runs never pay for onnxruntime-web.
 */
const ort = ortWeb as unknown as Ort;
/** Samples per session run (model-onnx's default batch). */
const BATCH = 256;

let configured = false;
function configure(): void {
  if (configured) return;
  configured = true;
  // The page is not cross-origin isolated (no SharedArrayBuffer): one thread, and the .wasm
  // from the app's own bundle, never a CDN.
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href };
  ortWeb.env.logLevel = "error";
}

/** Loads `m` (parsed by io-onnx) with `weights` (its float initializers, in order) as a runnable probe. */
export async function loadOnnxBrowserProbe(m: OnnxModel, weights: readonly WeightTensor[], title: string): Promise<BrowserProbe> {
  configure();
  const inits = m.initializers.filter(isWeightInitializer);
  const layout = resolveInputLayout(title, onnxInputDecls(m), { outputs: m.outputs });
  const session = await createOnnxSession(ort, await weightsAsInputs(m, new Set(inits.map((i) => i.name))), title, { executionProvider: "wasm" });
  const weightFeeds = weightFeeder(ort, title, weights, inits);
  let last: { weights: WeightSet; outputs: readonly ForwardOutput[] } | undefined;
  const predictOutputs = async (ws: WeightSet, inputs: Float32Array, count: number): Promise<ForwardOutput[]> => {
    const wf = weightFeeds(ws);
    const outputs = await runInBatches(layout, inputs, count, BATCH, (feeds): Promise<BatchOutput[]> => runOnnxSession(ort, session, feeds, title, wf));
    last = { weights: ws, outputs };
    return outputs;
  };
  const probe = {
    id: title,
    weights: [...weights],
    layout,
    inputShape: layout.sampleShape,
    forward: { predictOutputs, predict: async (ws: WeightSet, inputs: Float32Array, count: number) => (await predictOutputs(ws, inputs, count))[0]!.data },
    sampleInputs: (count: number, seed: number) => ({ inputs: generateSamples(layout, count, seed), description: describeGenerated(layout, count, seed) }),
  };
  return { probe, outputsFor: (ws) => (last?.weights === ws ? last.outputs : undefined) };
}
