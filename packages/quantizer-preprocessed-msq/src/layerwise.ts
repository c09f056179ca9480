import {
  MissingCapabilityError,
  ShapeMismatchError,
  TENSOR_GROUPING,
  dequantizeCodes,
  throwIfAborted,
  type Codebook,
  type LayerInfo,
  type LayerInputMatrix,
  type ModelProbe,
  type QuantizedModel,
  type QuantizedTensor,
  type Rng,
  type RunContext,
  type WeightSet,
  type WeightTensor,
} from "@quantforge/core";
import { alphabetCodebook, alphabetForWeights, roundToAlphabet, type Alphabet, type AlphabetKind } from "./alphabet.js";

/** A tensor quantized to an alphabet: its codes (row-major, like the tensor). */
export interface AlphabetCodes {
  readonly alphabet: Alphabet;
  readonly codes: Uint32Array;
}

/** Fan-in/fan-out view of a layer's kernel: the last axis is the output unit (tfjs layout). */
export function kernelLayout(t: WeightTensor, layer: LayerInfo): { fanIn: number; fanOut: number } {
  const fanOut = t.shape.length > 0 ? t.shape[t.shape.length - 1]! : 1;
  const fanIn = fanOut === 0 ? 0 : t.data.length / fanOut;
  if (fanOut !== layer.fanOut || fanIn !== layer.fanIn) {
    throw new ShapeMismatchError(`kernel "${t.name}" of shape [${t.shape.join(", ")}] does not match layer "${layer.name}" (fan-in ${layer.fanIn}, fan-out ${layer.fanOut}). Pass the model's own weights.`);
  }
  return { fanIn, fanOut };
}

/**
 * Up to `count` rows of a layer-input matrix as a row-major Float64Array. Dense layers return
 * one row per sample already; conv layers return sample × position patches, of which `count` are
 * drawn without replacement with the seeded `rng` (kept in their original order).
 */
export function selectRows(x: LayerInputMatrix, count: number, rng: Rng): { data: Float64Array; rows: number } {
  const take = Math.min(count, x.rows);
  const cols = x.cols;
  let idx: Int32Array;
  if (take === x.rows) {
    idx = new Int32Array(take);
    for (let i = 0; i < take; i++) idx[i] = i;
  } else {
    const all = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) all[i] = i;
    // Partial Fisher–Yates: the first `take` entries are a uniform sample.
    for (let i = 0; i < take; i++) {
      const j = rng.int(i, x.rows - 1);
      const v = all[i]!;
      all[i] = all[j]!;
      all[j] = v;
    }
    idx = all.slice(0, take).sort();
  }
  const data = new Float64Array(take * cols);
  for (let r = 0; r < take; r++) {
    const src = idx[r]! * cols;
    for (let c = 0; c < cols; c++) data[r * cols + c] = x.data[src + c]!;
  }
  return { data, rows: take };
}

/** Plain MSQ of a whole tensor with its layer's alphabet. */
export function msqTensor(data: Float32Array, bits: number, kind: AlphabetKind): AlphabetCodes {
  const alphabet = alphabetForWeights(data, bits, kind);
  const codes = new Uint32Array(data.length);
  roundToAlphabet(alphabet, data, codes);
  return { alphabet, codes };
}

/** The probe's layer inputs and layer list, or a typed error naming what is missing. */
export function requireLayerProbe(id: string, model: ModelProbe | undefined): { model: ModelProbe; layers: readonly LayerInfo[] } {
  if (!model?.layerInputs) throw new MissingCapabilityError(id, "layerInputs");
  if (!model.layers || model.layers.length === 0) throw new MissingCapabilityError(id, "layerInputs (the model lists no layers)");
  return { model, layers: model.layers };
}

/** What a layer-wise method computes for one layer. */
export type LayerStep = (args: {
  readonly tensor: WeightTensor;
  readonly layer: LayerInfo;
  readonly fanIn: number;
  readonly fanOut: number;
  /** The model's weights with every earlier layer already replaced by its quantized values. */
  readonly current: () => WeightSet;
}) => Promise<AlphabetCodes>;

/**
 * Quantizes the selected kernels layer by layer, first to last, so each step can ask the probe
 * for its input under the already-quantized earlier layers (spec §3). Selected tensors that are
 * no layer's kernel (biases, when selected) get plain MSQ with the same alphabet rule.
 */
export async function quantizeLayerwise(id: string, weights: WeightSet, ctx: RunContext, bits: number, kind: AlphabetKind, step: LayerStep): Promise<QuantizedModel> {
  const { model, layers } = requireLayerProbe(id, ctx.model);
  const selected = new Map(weights.map((t) => [t.name, t]));
  const current = new Map(model.weights.map((t) => [t.name, t]));
  const done = new Map<string, AlphabetCodes>();
  const snapshot = (): WeightSet => model.weights.map((t) => current.get(t.name)!);
  for (const layer of layers) {
    const tensor = selected.get(layer.weight);
    if (!tensor || done.has(tensor.name)) continue;
    throwIfAborted(ctx);
    const { fanIn, fanOut } = kernelLayout(tensor, layer);
    const r = await step({ tensor, layer, fanIn, fanOut, current: snapshot });
    done.set(tensor.name, r);
    const data = new Float32Array(tensor.data.length);
    dequantizeCodes({ ...alphabetCodebook(r.alphabet), id: tensor.name }, r.codes, null, data);
    current.set(tensor.name, { ...tensor, data });
  }
  const codebooks: Codebook[] = [];
  const tensors: QuantizedTensor[] = [];
  for (const t of weights) {
    const r = done.get(t.name) ?? msqTensor(t.data, bits, kind);
    codebooks.push({ ...alphabetCodebook(r.alphabet), id: t.name });
    tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: t.name, grouping: TENSOR_GROUPING, codes: r.codes });
  }
  return { codebooks, tensors };
}
