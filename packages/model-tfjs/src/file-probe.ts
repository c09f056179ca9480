import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ErrorCodes, QuantforgeError, printable, type WeightTensor } from "@quantforge/core";
import { inputDataset, loadInputData, resolveInputLayout, type FileProbeOptions, type ModelInputDecl } from "@quantforge/datasets";
import { isFloatEntry, legacyTfjsAdvice, loadTfjsFromArtifacts, readTfjsModel, readTfjsTensor, tfjsArtifacts, tfjsInputSpecs, type TfjsRuntime } from "@quantforge/io-tfjs";
import { getTf } from "./tf.js";
import { runnableTfjsProbe, type TfjsFileModelProbe } from "./runnable-probe.js";

export type { TfjsFileModelProbe } from "./runnable-probe.js";

/** Options of {@link loadTfjsModelProbe} (`batchSize`: samples per model run). */
export type TfjsFileProbeOptions = FileProbeOptions;

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
  if (m.format === "weights-manifest") {
    // A pre-1.0 tfjs graph model keeps its topology beside the manifest, in a format quantforge cannot run.
    const legacy = join(dirname(m.path), "tensorflowjs_model.pb");
    if (existsSync(legacy)) throw new QuantforgeError(ErrorCodes.USAGE, legacyTfjsAdvice(`"${printable(legacy)}"`));
    throw new QuantforgeError(
      ErrorCodes.USAGE,
      `"${printable(path)}" is a bare weights manifest: it has weights but no topology, so it cannot be run. Pass it where weights go (quantize <manifest>, run --weights, sensitivity, compare --weights); model-output checks need a model.json.`,
    );
  }
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
    return runnableTfjsProbe({ tf, model, format, id, weights, layout, ...(calibrationSet ? { calibrationSet } : {}), ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}) });
  } catch (e) {
    model.dispose();
    throw e;
  }
}
