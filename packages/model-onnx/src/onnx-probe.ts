import { InvalidOptionsError, type ForwardOutput, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";
import { generateSamples, inputDataset, loadInputData, resolveInputLayout, runInBatches, type BatchOutput, type FileModelProbe, type FileProbeOptions, type ModelInputDecl } from "@quantforge/datasets";
import { createOnnxSession, isWeightInitializer, loadOrt, onnxInputDecls, parseOnnxModel, readOnnxModel, readOnnxTensor, runOnnxSession } from "@quantforge/io-onnx";
import { layerInputRows, onnxDenseLayers, withExtraOutputs } from "./layer-inputs.js";
import { countMacs, macNodes } from "./macs.js";
import { weightsAsInputs } from "./weights-as-inputs.js";
import { weightFeeder } from "./weight-feeds.js";

/** Options of {@link loadOnnxModelProbe} (`batchSize`: samples per session run). */
export interface OnnxProbeOptions extends FileProbeOptions {
  /**
   * Seed of the generated inputs layer inputs are captured on when there is no `data`, and of
   * the row sampling of large layer-input matrices. @default 0
   */
  readonly seed?: number;
}

/** An ONNX model as a runnable {@link ModelProbe}: weights = every FLOAT and FLOAT16 initializer as float32, tagged by io-onnx. */
export interface OnnxModelProbe extends FileModelProbe {
  /** Releases the onnxruntime session; the probe cannot run afterwards. */
  dispose(): Promise<void>;
}

/**
 * Loads any ONNX model and returns a probe that runs it with any weight set. The model is
 * rewritten once so that every FLOAT/FLOAT16 initializer is a graph input instead (see
 * {@link weightsAsInputs}) and one onnxruntime-node session (CPU, one thread, deterministic) is
 * built on it; each run feeds the current weights as inputs (FLOAT16 ones rounded to half, as the
 * model stores them), so no session is created per call.
 *
 * Inputs: `forward.predict`/`predictOutputs` take `count` flat samples of `layout.sampleSize`
 * values; each sample holds the model's inputs one after the other in input order. Integer
 * inputs receive the values rounded down and clamped to ≥ 0 (only sensible with real data).
 * `predictOutputs` returns every graph output, raw, by name; `predict` the first.
 *
 * @param path - The `.onnx` file.
 * @throws {IoError} / {FormatError} for a missing or malformed model, or one onnxruntime rejects.
 * @throws {ShapeMismatchError} when an input dimension is unknown and neither `inputShapes` nor
 *   the data give it, or the data file lacks an input's tensor.
 * @example
 * const probe = await loadOnnxModelProbe("model.onnx", { inputShapes: new Map([["x", [3, 224, 224]]]) });
 * const [y] = await probe.forward.predictOutputs(probe.weights, inputs, 4);
 */
export async function loadOnnxModelProbe(path: string, opts: OnnxProbeOptions = {}): Promise<OnnxModelProbe> {
  const id = opts.id ?? path;
  const m = await readOnnxModel(path);
  const inits = m.initializers.filter(isWeightInitializer);
  const weights: WeightTensor[] = [];
  for (const i of inits) weights.push(await readOnnxTensor(m, i));
  const decls: ModelInputDecl[] = onnxInputDecls(m);
  const data = opts.data !== undefined ? await loadInputData(opts.data, decls, { ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}), ...(opts.inputRanges ? { inputRanges: opts.inputRanges } : {}) }) : undefined;
  const layout = resolveInputLayout(id, decls, { ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}), ...(data ? { data } : {}), outputs: m.outputs });
  const calibrationSet = data ? inputDataset(layout, data) : undefined;
  const ort = await loadOrt();
  const session = await createOnnxSession(ort, await weightsAsInputs(m, new Set(inits.map((i) => i.name))), path);
  const weightFeeds = weightFeeder(ort, id, weights, inits);
  const batch = opts.batchSize ?? 256;
  const layers = onnxDenseLayers(m);
  let capture: ReturnType<typeof createOnnxSession> | undefined;
  const seed = opts.seed ?? 0;
  // What each dense layer sees: one more session whose graph also outputs every layer's input,
  // run on the calibration samples (or seeded generated inputs when the probe has no data).
  const layerInputs = async (name: string, samples: number, ws?: WeightSet) => {
    const layer = layers.find((l) => l.name === name);
    if (!layer) throw new InvalidOptionsError("layerInputs", "layer", `"${name}" is not a dense (MatMul/Gemm) layer of model "${id}" (layers: ${layers.map((l) => l.name).join(", ")})`);
    const most = calibrationSet?.count ?? 1_000_000;
    if (!Number.isInteger(samples) || samples < 1 || samples > most) throw new InvalidOptionsError("layerInputs", "samples", `must be an integer in [1, ${most}] (got ${samples})`);
    capture ??= (async () => {
      const outs = await parseOnnxModel(
        withExtraOutputs(
          m.bytes,
          m,
          layers.map((l) => l.input),
        ),
        path,
      );
      return createOnnxSession(ort, await weightsAsInputs(outs, new Set(inits.map((i) => i.name))), path);
    })();
    const s = await capture;
    const inputs = calibrationSet ? calibrationSet.inputs.subarray(0, samples * layout.sampleSize) : generateSamples(layout, samples, seed, opts.inputRanges);
    const wf = weightFeeds(ws ?? weights);
    const outs = await runInBatches(layout, inputs, samples, batch, (feeds): Promise<BatchOutput[]> => runOnnxSession(ort, s, feeds, path, wf));
    const value = outs.find((o) => o.name === layer.input)!;
    return layerInputRows(layer, { shape: [samples, ...value.shape], data: value.data }, seed);
  };
  const predictOutputs = async (ws: WeightSet, inputs: Float32Array, count: number): Promise<ForwardOutput[]> => {
    const wf = weightFeeds(ws);
    return runInBatches(layout, inputs, count, batch, (feeds): Promise<BatchOutput[]> => runOnnxSession(ort, session, feeds, path, wf));
  };
  // Counted once, on one sample of zeros with the model's own weights, by a session whose graph
  // also outputs the values whose shapes count the convolutions and matrix products (released after).
  let macs: Promise<number> | undefined;
  const macsPerSample = (): Promise<number> =>
    (macs ??= (async () => {
      const { nodes, values, stored } = macNodes(m);
      if (nodes.length === 0) return 0;
      const s = await createOnnxSession(ort, await weightsAsInputs(await parseOnnxModel(withExtraOutputs(m.bytes, m, values), path), new Set(inits.map((i) => i.name))), path);
      try {
        const shapes = new Map<string, readonly number[]>(stored);
        const wf = weightFeeds(weights);
        // The feeds and outputs of the run itself, with their batch axes (the batching may rerun one sample at a time: same shapes).
        await runInBatches(layout, new Float32Array(layout.sampleSize), 1, batch, async (feeds): Promise<BatchOutput[]> => {
          for (const f of feeds) shapes.set(f.name, f.shape);
          const outs = await runOnnxSession(ort, s, feeds, path, wf);
          for (const o of outs) shapes.set(o.name, o.shape);
          return outs;
        });
        return countMacs(nodes, (name) => shapes.get(name)) / (layout.fixedBatch ?? 1);
      } finally {
        await s.release();
      }
    })());
  return {
    id,
    weights,
    layout,
    inputShape: layout.sampleShape,
    ...(calibrationSet ? { calibrationSet } : {}),
    forward: {
      predictOutputs,
      predict: async (ws, inputs, count) => (await predictOutputs(ws, inputs, count))[0]!.data,
      macsPerSample,
    },
    ...(layers.length > 0 ? { layers, layerInputs: { layerInputs } } : {}),
    dispose: async () => {
      await session.release();
      if (capture) await (await capture).release();
    },
  };
}
