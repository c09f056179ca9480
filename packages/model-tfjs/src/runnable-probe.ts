import type { GraphModel, LayersModel } from "@tensorflow/tfjs";
import type { Dataset, ForwardOutput, WeightSet, WeightTensor } from "@quantforge/core";
import { runInBatches, type FileModelProbe, type ModelInputLayout } from "@quantforge/datasets/browser";
import { runTfjsModel, type ModelFeed, type TfjsRuntime } from "@quantforge/io-tfjs/browser";
import type { Tf } from "./tf.js";
import { kernelMacs } from "./kernel-macs.js";
import { graphModelSwapper, layersModelSwapper, type WeightSwapper } from "./weight-swap.js";

/** A tfjs model.json (graph or layers) as a runnable {@link ModelProbe}: weights = every float32 weight, in manifest order, tagged by io-tfjs. */
export interface TfjsFileModelProbe extends FileModelProbe {
  readonly format: "graph-model" | "layers-model";
  /** Frees the model's tensors; the probe cannot run afterwards. */
  dispose(): void;
}

/** What {@link runnableTfjsProbe} wraps: a loaded model, its float weights and input layout. */
export interface RunnableTfjsParts {
  /** The tfjs namespace the model was loaded with (any backend). */
  readonly tf: Tf;
  readonly model: GraphModel | LayersModel;
  readonly format: "graph-model" | "layers-model";
  readonly id: string;
  /** The float weights the model was loaded with (every float32 weight, manifest order). */
  readonly weights: WeightTensor[];
  readonly layout: ModelInputLayout;
  readonly calibrationSet?: Dataset;
  /** Samples per model run. @default 256 */
  readonly batchSize?: number;
}

/**
 * Wraps a loaded tfjs model as a probe that runs it with any weight set: per call only the
 * weight tensors whose values changed are replaced (through the GraphModel executor's weight
 * map, or the LayersModel's variables), and the old tensors are disposed, so repeated calls do
 * not leak. Calls run one after another, each with its own weights in place. No Node APIs: the
 * file probe (`loadTfjsModelProbe`) and the browser playground share it.
 */
export function runnableTfjsProbe(p: RunnableTfjsParts): TfjsFileModelProbe {
  const { tf, model, format, id, weights, layout } = p;
  const swapper: WeightSwapper = format === "graph-model" ? graphModelSwapper(tf, model as GraphModel, id, weights) : layersModelSwapper(tf, model as LayersModel, id, weights);
  const batch = p.batchSize ?? 256;
  const runtime = tf as unknown as TfjsRuntime;
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
  // Counted once, from one sample of zeros with the model's own weights: the kernels' shapes do
  // not depend on the values (a data-dependent tail, such as NMS's kept boxes, is counted as zeros give it).
  let macs: Promise<number> | undefined;
  const macsPerSample = (): Promise<number> => {
    macs ??= queue.then(async () => {
      swapper.apply(weights);
      const zeros = new Float32Array(layout.sampleSize);
      const info = await tf.profile(() => runInBatches(layout, zeros, 1, batch, (feeds) => runTfjsModel(runtime, model, feeds as ModelFeed[])).then(() => undefined));
      return kernelMacs(info.kernels);
    });
    queue = macs.catch(() => undefined);
    return macs;
  };
  return {
    id,
    weights,
    format,
    layout,
    inputShape: layout.sampleShape,
    ...(p.calibrationSet ? { calibrationSet: p.calibrationSet } : {}),
    forward: {
      predictOutputs,
      predict: async (ws, inputs, count) => (await predictOutputs(ws, inputs, count))[0]!.data,
      macsPerSample,
    },
    dispose: () => model.dispose(),
  };
}
