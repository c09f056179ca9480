import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { GraphModel, LayersModel } from "@tensorflow/tfjs";
import { ErrorCodes, QuantforgeError, printable, type ForwardOutput, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { inputDataset, loadInputData, resolveInputLayout, runInBatches, type FileModelProbe, type FileProbeOptions, type ModelInputDecl } from "@quantforge/datasets";
import { isFloatEntry, loadTfjsFromArtifacts, readTfjsModel, readTfjsTensor, runTfjsModel, tfjsArtifacts, tfjsInputSpecs, type ModelFeed, type TfjsRuntime } from "@quantforge/io-tfjs";
import { getTf } from "./tf.js";
import { graphModelSwapper, layersModelSwapper, type WeightSwapper } from "./weight-swap.js";

/** Options of {@link loadTfjsModelProbe} (`batchSize`: samples per model run). */
export type TfjsFileProbeOptions = FileProbeOptions;

/** A tfjs model.json (graph or layers) as a runnable {@link ModelProbe}: weights = every float32 weight, in manifest order, tagged by io-tfjs. */
export interface TfjsFileModelProbe extends FileModelProbe {
  readonly format: "graph-model" | "layers-model";
  /** Frees the model's tensors; the probe cannot run afterwards. */
  dispose(): void;
}

function modelJsonPath(path: string): string {
  const p = resolve(path);
  return existsSync(p) && statSync(p).isDirectory() ? join(p, "model.json") : p;
}

/**
 * Loads any tfjs `model.json` — graph model or layers model — once, and returns a probe that runs
 * it with any weight set: per call only the weight tensors whose values changed are replaced
 * (through the GraphModel executor's weight map, or the LayersModel's variables), and the old
 * tensors are disposed, so repeated calls do not leak.
 *
 * Inputs: `forward.predict`/`predictOutputs` take `count` flat samples of
 * `layout.sampleSize` values each; each sample holds the model's inputs one after the other in
 * input order. Integer inputs receive the values rounded down and clamped to ≥ 0 (only sensible
 * with real data). `predictOutputs` returns every model output, raw, by name; `predict` returns
 * the first output.
 *
 * @param path - A model.json file or a folder holding one.
 * @throws {IoError} / {FormatError} for a missing or malformed model (io-tfjs's validation; tfjs
 *   failing to build the model is a FormatError).
 * @throws {ShapeMismatchError} when an input dimension is unknown and neither `inputShapes` nor
 *   the data give it, or the data file lacks an input's tensor.
 * @example
 * const probe = await loadTfjsModelProbe("model/model.json", { data: "calib.safetensors" });
 * const outs = await probe.forward.predictOutputs(probe.weights, probe.calibrationSet!.inputs, 8);
 */
export async function loadTfjsModelProbe(path: string, opts: TfjsFileProbeOptions = {}): Promise<TfjsFileModelProbe> {
  const id = opts.id ?? path;
  // Validate the files first (a FIFO, an outside shard, a malformed manifest fail fast with a typed error), then pay for tfjs.
  const m = await readTfjsModel(modelJsonPath(path));
  if (m.format === "weights-manifest") throw new QuantforgeError(ErrorCodes.USAGE, `"${printable(path)}" is a bare weights manifest: it has weights but no topology, so it cannot be run. Pass it where weights go (quantize <manifest>, run --weights, sensitivity, compare --weights); model-output checks need a model.json.`);
  const format = m.format;
  const tf = await getTf();
  const weights: WeightTensor[] = [];
  for (const e of m.entries) if (isFloatEntry(e)) weights.push(await readTfjsTensor(m, e));
  const artifacts = await tfjsArtifacts(m, { weights: new Map(weights.map((t) => [t.name, t.data])) });
  const runtime = tf as unknown as TfjsRuntime;
  const model = await loadTfjsFromArtifacts(runtime, artifacts, format, m.path);
  try {
    const decls: ModelInputDecl[] = tfjsInputSpecs(model);
    const data = opts.data !== undefined ? await loadInputData(opts.data, decls, { ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}), ...(opts.inputRanges ? { inputRanges: opts.inputRanges } : {}) }) : undefined;
    const layout = resolveInputLayout(id, decls, { ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}), ...(data ? { data } : {}) });
    const calibrationSet = data ? inputDataset(layout, data) : undefined;
    const swapper: WeightSwapper = format === "graph-model"
      ? graphModelSwapper(tf, model as GraphModel, id, weights)
      : layersModelSwapper(tf, model as LayersModel, id, weights);
    const batch = opts.batchSize ?? 256;
    // Calls share one model: they run one after another, each with its own weights in place.
    let queue: Promise<unknown> = Promise.resolve();
    const predictOutputs = (ws: WeightSet, inputs: Float32Array, count: number): Promise<ForwardOutput[]> => {
      const run = queue.then(() => {
        swapper.apply(ws);
        // tfjs inputs are float32, int32 or bool (tfjsInputSpecs), so no feed is a BigInt64Array.
        return runInBatches(layout, inputs, count, batch, (feeds) => runTfjsModel(runtime, model, feeds as ModelFeed[]));
      });
      queue = run.catch(() => undefined);
      return run;
    };
    return {
      id, weights, format, layout, inputShape: layout.sampleShape,
      ...(calibrationSet ? { calibrationSet } : {}),
      forward: {
        predictOutputs,
        predict: async (ws, inputs, count) => (await predictOutputs(ws, inputs, count))[0]!.data,
      },
      dispose: () => model.dispose(),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
