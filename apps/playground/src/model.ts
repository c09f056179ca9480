import * as tf from "@tensorflow/tfjs";
import type { ForwardOutput, WeightSet } from "@quantforge/core";
import { describeGenerated, generateSamples, resolveInputLayout, type FileModelProbe } from "@quantforge/datasets/browser";
import { buildTfjsArtifacts, loadTfjsFromArtifacts, memoryEntryBytes, tfjsInputSpecs, type TfjsMemoryModel, type TfjsRuntime } from "@quantforge/io-tfjs/browser";
import { runnableTfjsProbe } from "@quantforge/model-tfjs/browser";

/**
 * The user's tfjs model, running in the worker on stock tfjs's `cpu` backend (bundled; exact
 * float32 arithmetic in JavaScript, so a stock tfjs in Node reproduces the page's outputs), as the
 * probe the CLI builds for a model.json: model-tfjs's runnable probe with the shared seeded input
 * generator as `sampleInputs`, so fidelity measures on the inputs `quantforge compare --model`
 * uses. Loaded with a dynamic import: weights-only runs never pay for tfjs.
 */
export interface BrowserProbe {
  /** The runnable probe (tfjs here, onnxruntime-web in onnx-model.ts) with the CLI's `sampleInputs`. */
  readonly probe: FileModelProbe & { sampleInputs(count: number, seed: number): { inputs: Float32Array; description: string } };
  /** The outputs of the last run with exactly this weight set (the fidelity evaluator's run of a cell's decoded weights). */
  outputsFor(weights: WeightSet): readonly ForwardOutput[] | undefined;
}

let ready: Promise<void> | undefined;

/** Loads `m` (a graph or layers model) with `weights` as its float weights. */
export async function loadBrowserProbe(m: TfjsMemoryModel, weights: WeightSet, title: string): Promise<BrowserProbe> {
  ready ??= (async () => {
    // PROD mode skips tfjs's debug checks and its console banner.
    tf.enableProdMode();
    if (!(await tf.setBackend("cpu"))) throw new Error("the tfjs cpu backend could not start");
    await tf.ready();
  })();
  await ready;
  if (m.format === "weights-manifest") throw new Error("unreachable: a weights manifest has no topology");
  const runtime = tf as unknown as TfjsRuntime;
  const artifacts = await buildTfjsArtifacts(m.json, m.entries, (e) => memoryEntryBytes(m, e), { weights: new Map(weights.map((t) => [t.name, t.data])) });
  const model = await loadTfjsFromArtifacts(runtime, artifacts, m.format, title);
  try {
    const layout = resolveInputLayout(title, tfjsInputSpecs(model));
    const base = runnableTfjsProbe({ tf, model, format: m.format, id: title, weights: [...weights], layout });
    let last: { weights: WeightSet; outputs: readonly ForwardOutput[] } | undefined;
    const predictOutputs = async (ws: WeightSet, inputs: Float32Array, count: number) => {
      const outputs = await base.forward.predictOutputs(ws, inputs, count);
      last = { weights: ws, outputs };
      return outputs;
    };
    const probe = {
      ...base,
      forward: { predictOutputs, predict: async (ws: WeightSet, inputs: Float32Array, count: number) => (await predictOutputs(ws, inputs, count))[0]!.data },
      sampleInputs: (count: number, seed: number) => ({ inputs: generateSamples(layout, count, seed), description: describeGenerated(layout, count, seed) }),
    };
    return { probe, outputsFor: (ws) => (last?.weights === ws ? last.outputs : undefined) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
