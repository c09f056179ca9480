import { ShapeMismatchError, type Dataset, type LayerInfo, type LayerInputMatrix, type ModelProbe, type WeightSet, type WeightTensor } from "@quantforge/core";

/** One dense layer of a {@link syntheticDenseProbe}: kernel `[fanIn, fanOut]` (tfjs layout), optional bias. */
export interface DenseLayerSpec {
  readonly name: string;
  readonly fanIn: number;
  readonly fanOut: number;
  /** Row-major `[fanIn, fanOut]`: column o holds neuron o's weights. */
  readonly kernel: Float32Array;
  readonly bias?: Float32Array;
}

/** Options of {@link syntheticDenseProbe}. */
export interface SyntheticProbeOptions {
  /** Probe id. @default "synthetic-dense" */
  readonly id?: string;
  /** Layers in forward order; each layer's fanIn must equal the previous fanOut. */
  readonly layers: readonly DenseLayerSpec[];
  /** Calibration inputs, row-major `[count, layers[0].fanIn]`. */
  readonly inputs: Float32Array;
  readonly count: number;
  /** Calibration labels (default all 0). */
  readonly labels?: Int32Array;
  /** Activation after every layer but the last. @default "relu" */
  readonly activation?: "relu" | "linear";
  /** Optional held-out set (exposed as `testSet`). */
  readonly test?: { readonly inputs: Float32Array; readonly labels: Int32Array; readonly count: number };
}

/**
 * A small pure-JS dense network as a {@link ModelProbe}: float weights, `layers`, `layerInputs`
 * (each layer's input on the first calibration samples, computed with any given weight set) and
 * a softmax `forward`. It exists for synthetic experiments (a single layer whose input is exactly
 * a given X) and for tests of layer-wise quantizers; real models come from `@quantforge/model-tfjs`.
 *
 * Weight names are `<layer>/kernel` and `<layer>/bias`.
 */
export function syntheticDenseProbe(opts: SyntheticProbeOptions): ModelProbe {
  const { layers, inputs, count } = opts;
  if (layers.length === 0) throw new ShapeMismatchError("a synthetic probe needs at least one layer. Pass one DenseLayerSpec or more.");
  layers.forEach((l, i) => {
    if (l.kernel.length !== l.fanIn * l.fanOut) throw new ShapeMismatchError(`layer "${l.name}" has ${l.kernel.length} kernel values but [${l.fanIn}, ${l.fanOut}] needs ${l.fanIn * l.fanOut}. Fix the kernel.`);
    if (l.bias && l.bias.length !== l.fanOut) throw new ShapeMismatchError(`layer "${l.name}" has a bias of ${l.bias.length} values but ${l.fanOut} outputs. Fix the bias.`);
    if (i > 0 && l.fanIn !== layers[i - 1]!.fanOut) throw new ShapeMismatchError(`layer "${l.name}" takes ${l.fanIn} inputs but the previous layer gives ${layers[i - 1]!.fanOut}. Fix the layer sizes.`);
  });
  const d0 = layers[0]!.fanIn;
  if (inputs.length !== count * d0) throw new ShapeMismatchError(`calibration inputs have ${inputs.length} values but ${count} samples of ${d0} need ${count * d0}. Fix the inputs.`);
  const relu = (opts.activation ?? "relu") === "relu";
  const weights: WeightTensor[] = [];
  const info: LayerInfo[] = [];
  for (const l of layers) {
    weights.push({ name: `${l.name}/kernel`, shape: [l.fanIn, l.fanOut], data: l.kernel, role: "weight", layer: l.name, layerKind: "dense" });
    if (l.bias) weights.push({ name: `${l.name}/bias`, shape: [l.fanOut], data: l.bias, role: "bias", layer: l.name, layerKind: "dense" });
    info.push({ name: l.name, kind: "dense", weight: `${l.name}/kernel`, bias: l.bias ? `${l.name}/bias` : undefined, fanIn: l.fanIn, fanOut: l.fanOut });
  }
  const pick = (ws: WeightSet | undefined, name: string, fallback: Float32Array | undefined): Float32Array | undefined => {
    const t = ws?.find((x) => x.name === name);
    return t ? t.data : fallback;
  };
  /** Runs layers [0, upto) on `rows` samples; activation after each of them unless it is the output layer. */
  const run = (ws: WeightSet | undefined, x: Float32Array, rows: number, upto: number): Float32Array => {
    let cur = x;
    for (let li = 0; li < upto; li++) {
      const l = layers[li]!;
      const k = pick(ws, `${l.name}/kernel`, l.kernel)!;
      const b = pick(ws, `${l.name}/bias`, l.bias);
      const out = new Float32Array(rows * l.fanOut);
      const acc = new Float64Array(l.fanOut);
      for (let s = 0; s < rows; s++) {
        if (b) for (let o = 0; o < l.fanOut; o++) acc[o] = b[o]!;
        else acc.fill(0);
        for (let i = 0; i < l.fanIn; i++) {
          const v = cur[s * l.fanIn + i]!;
          if (v === 0) continue;
          const off = i * l.fanOut;
          for (let o = 0; o < l.fanOut; o++) acc[o] = acc[o]! + v * k[off + o]!;
        }
        const last = li === layers.length - 1;
        for (let o = 0; o < l.fanOut; o++) out[s * l.fanOut + o] = relu && !last && acc[o]! < 0 ? 0 : acc[o]!;
      }
      cur = out;
    }
    return cur;
  };
  const classes = layers[layers.length - 1]!.fanOut;
  const dataset = (x: Float32Array, y: Int32Array | undefined, n: number): Dataset => ({ inputs: x, labels: y ?? new Int32Array(n), count: n, sampleShape: [d0], classes });
  return {
    id: opts.id ?? "synthetic-dense",
    weights,
    layers: info,
    calibrationSet: dataset(inputs, opts.labels, count),
    testSet: opts.test ? dataset(opts.test.inputs, opts.test.labels, opts.test.count) : undefined,
    layerInputs: {
      async layerInputs(layer: string, samples: number, ws?: WeightSet): Promise<LayerInputMatrix> {
        const li = layers.findIndex((l) => l.name === layer);
        if (li < 0) throw new ShapeMismatchError(`the synthetic probe has no layer "${layer}". Known layers: ${layers.map((l) => l.name).join(", ")}.`);
        const rows = Math.max(0, Math.min(samples, count));
        const data = run(ws, inputs.subarray(0, rows * d0), rows, li);
        return { rows, cols: layers[li]!.fanIn, data };
      },
    },
    forward: {
      async predict(ws: WeightSet, x: Float32Array, n: number): Promise<Float32Array> {
        const logits = run(ws, x, n, layers.length);
        for (let s = 0; s < n; s++) {
          let mx = -Infinity;
          for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[s * classes + c]!);
          let sum = 0;
          for (let c = 0; c < classes; c++) {
            const e = Math.exp(logits[s * classes + c]! - mx);
            logits[s * classes + c] = e;
            sum += e;
          }
          for (let c = 0; c < classes; c++) logits[s * classes + c] = logits[s * classes + c]! / sum;
        }
        return logits;
      },
    },
  };
}
