import {
  MAX_ALPHABET_BITS,
  MIN_ALPHABET_BITS,
  MissingCapabilityError,
  ShapeMismatchError,
  TENSOR_GROUPING,
  alphabetCodebook,
  alphabetForWeights,
  defineQuantizer,
  dequantizeCodes,
  roundToAlphabet,
  throwIfAborted,
  z,
  type Alphabet,
  type Codebook,
  type LayerInfo,
  type LayerInputMatrix,
  type QuantizedModel,
  type QuantizedTensor,
  type QuantizerPlugin,
  type Rng,
  type RunContext,
  type WeightSet,
  type WeightTensor,
} from "@quantforge/core";
import { gpfqNeuron, prepareGpfqLayer } from "./gpfq-impl.js";
import { VERSION } from "./version.js";

/** Options of {@link gpfqQuantizer}. */
export const gpfqOptions = z.strictObject({
  /** Bits per weight, 1–8 (the shared alphabet: 2^b − 1 levels midtread, 2^b midrise, 2 at 1 bit). */
  bits: z.number().int().min(MIN_ALPHABET_BITS).max(MAX_ALPHABET_BITS).default(4),
  /** Alphabet shape, the same definition plain MSQ and preprocessed MSQ use. */
  alphabet: z.enum(["midtread", "midrise"]).default("midtread"),
  /** Calibration samples m per layer (rows of X; GPFQ has no m < N0 requirement). */
  samples: z.number().int().min(1).max(1_000_000).default(256),
  /**
   * `quantized`: X̃ is the input under the already-quantized earlier layers, X the float network's
   * (the GPFQ papers' setting); `float`: X̃ = X = the float network's input.
   */
  target: z.enum(["quantized", "float"]).default("quantized"),
});

/** Parsed options of {@link gpfqQuantizer}. */
export type GpfqOptions = z.output<typeof gpfqOptions>;
/** Options as a user writes them. */
export type GpfqOptionsInput = z.input<typeof gpfqOptions>;

/** Row indices to use: all rows, or `count` drawn without replacement (conv patches), sorted. */
function pickRows(total: number, count: number, rng: Rng): Int32Array {
  const all = new Int32Array(total);
  for (let i = 0; i < total; i++) all[i] = i;
  if (count >= total) return all;
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, total - 1);
    const v = all[i]!;
    all[i] = all[j]!;
    all[j] = v;
  }
  return all.slice(0, count).sort();
}

function gather(x: LayerInputMatrix, idx: Int32Array): Float64Array {
  const cols = x.cols,
    out = new Float64Array(idx.length * cols);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r]! * cols;
    for (let c = 0; c < cols; c++) out[r * cols + c] = x.data[src + c]!;
  }
  return out;
}

interface LayerResult {
  readonly alphabet: Alphabet;
  readonly codes: Uint32Array;
}

function msq(t: WeightTensor, opts: GpfqOptions): LayerResult {
  const alphabet = alphabetForWeights(t.data, opts.bits, opts.alphabet);
  const codes = new Uint32Array(t.data.length);
  roundToAlphabet(alphabet, t.data, codes);
  return { alphabet, codes };
}

async function quantizeLayer(ctx: RunContext, layer: LayerInfo, t: WeightTensor, current: WeightSet, opts: GpfqOptions): Promise<LayerResult> {
  const fanOut = t.shape.length > 0 ? t.shape[t.shape.length - 1]! : 1;
  const fanIn = fanOut === 0 ? 0 : t.data.length / fanOut;
  if (fanIn !== layer.fanIn || fanOut !== layer.fanOut) {
    throw new ShapeMismatchError(`kernel "${t.name}" of shape [${t.shape.join(", ")}] does not match layer "${layer.name}" (fan-in ${layer.fanIn}, fan-out ${layer.fanOut}). Pass the model's own weights.`);
  }
  const probe = ctx.model!.layerInputs!;
  // Never ask for more samples than the probe's calibration set holds.
  const samples = Math.min(opts.samples, ctx.model!.calibrationSet?.count ?? Infinity);
  if (samples < 1) {
    ctx.diagnostics.report({ severity: "warning", source: "gpfq", ruleId: "no-calibration-data", tensor: t.name, message: `the model has no calibration samples; layer "${layer.name}" gets plain MSQ.` });
    return msq(t, opts);
  }
  const xf = await probe.layerInputs(layer.name, samples);
  const xq = opts.target === "quantized" ? await probe.layerInputs(layer.name, samples, current) : xf;
  for (const x of [xf, xq]) {
    if (x.cols !== fanIn) throw new ShapeMismatchError(`layer inputs of "${layer.name}" have ${x.cols} columns but the kernel has fan-in ${fanIn}. The model probe is inconsistent; fix its layerInputs.`);
  }
  if (xq.rows !== xf.rows) throw new ShapeMismatchError(`layer inputs of "${layer.name}" have ${xf.rows} rows for the float network but ${xq.rows} for the quantized one. The model probe must use the same samples.`);
  const idx = pickRows(xf.rows, samples, ctx.rng.fork(`gpfq:${layer.name}`));
  const data = prepareGpfqLayer(gather(xf, idx), xq === xf ? null : gather(xq, idx), idx.length, fanIn);
  const alphabet = alphabetForWeights(t.data, opts.bits, opts.alphabet);
  const codes = new Uint32Array(t.data.length);
  const w = new Float64Array(fanIn),
    u = new Float64Array(idx.length),
    col = new Uint32Array(fanIn);
  let zeroCols = 0;
  for (let c = 0; c < fanIn; c++) if (data.normsQ[c]! < 1e-24) zeroCols++;
  if (zeroCols > 0) {
    ctx.diagnostics.report({
      severity: "info",
      source: "gpfq",
      ruleId: "zero-input-columns",
      tensor: t.name,
      message: `layer "${layer.name}": ${zeroCols} of ${fanIn} inputs are zero on every calibration sample; their weights are rounded directly (q_t = Q_A(w_t)).`,
    });
  }
  for (let o = 0; o < fanOut; o++) {
    throwIfAborted(ctx);
    for (let i = 0; i < fanIn; i++) w[i] = t.data[i * fanOut + o]!;
    gpfqNeuron(data, w, alphabet, u, col);
    for (let i = 0; i < fanIn; i++) codes[i * fanOut + o] = col[i]!;
    ctx.progress.update(`gpfq ${layer.name}`, o + 1, fanOut);
  }
  return { alphabet, codes };
}

/**
 * GPFQ, the greedy path-following quantizer (Lybrand & Saab 2021; Zhang, Zhou & Saab 2022):
 * layer by layer, each neuron's weights are quantized in order, each one chosen to cancel the
 * output error accumulated so far on the calibration data. Uses the shared uniform alphabet of
 * `@quantforge/quantizer-preprocessed-msq` (c = max|w| per layer), so it compares fairly with plain
 * and preprocessed MSQ. Needs the model capability `layerInputs`; selected tensors that are no
 * layer's kernel get plain MSQ with the same alphabet; inputs that are zero on every sample get
 * q_t = Q_A(w_t).
 *
 * @param defaults - option defaults merged under the options given at run time
 */
export function gpfqQuantizer(defaults?: Partial<GpfqOptionsInput>): QuantizerPlugin<GpfqOptions> {
  return defineQuantizer({
    id: "gpfq",
    version: VERSION,
    description: "Greedy path-following quantization (GPFQ, Lybrand & Saab 2021) on the alphabet shared with msq and preprocessed-msq",
    options: gpfqOptions,
    defaults,
    create: (opts) => ({
      id: "gpfq",
      needs: ["layerInputs"],
      async quantize(weights: WeightSet, ctx: RunContext): Promise<QuantizedModel> {
        const model = ctx.model;
        if (!model?.layerInputs) throw new MissingCapabilityError("gpfq", "layerInputs");
        if (!model.layers || model.layers.length === 0) throw new MissingCapabilityError("gpfq", "layerInputs (the model lists no layers)");
        const selected = new Map(weights.map((t) => [t.name, t]));
        const current = new Map(model.weights.map((t) => [t.name, t]));
        const done = new Map<string, LayerResult>();
        for (const layer of model.layers) {
          const t = selected.get(layer.weight);
          if (!t || done.has(t.name)) continue;
          throwIfAborted(ctx);
          const r = await quantizeLayer(
            ctx,
            layer,
            t,
            model.weights.map((x) => current.get(x.name)!),
            opts,
          );
          done.set(t.name, r);
          const data = new Float32Array(t.data.length);
          dequantizeCodes({ ...alphabetCodebook(r.alphabet), id: t.name }, r.codes, null, data);
          current.set(t.name, { ...t, data });
        }
        const codebooks: Codebook[] = [];
        const tensors: QuantizedTensor[] = [];
        for (const t of weights) {
          const r = done.get(t.name) ?? msq(t, opts);
          codebooks.push({ ...alphabetCodebook(r.alphabet), id: t.name });
          tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: t.name, grouping: TENSOR_GROUPING, codes: r.codes });
        }
        return { codebooks, tensors };
      },
    }),
  });
}
