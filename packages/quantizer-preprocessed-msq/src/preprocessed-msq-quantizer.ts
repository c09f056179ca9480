import { ShapeMismatchError, defineQuantizer, throwIfAborted, z, type QuantizerPlugin, type RunContext, type WeightSet } from "@quantforge/core";
import { alphabetForWeights, fillCells, roundToAlphabet, MAX_ALPHABET_BITS, MIN_ALPHABET_BITS } from "./alphabet.js";
import { msqTensor, quantizeLayerwise, selectRows } from "./layerwise.js";
import { createWalkWorkspace, planWalk, walkNeuron } from "./vertex-walk-impl.js";
import { VERSION } from "./version.js";

/** Options of {@link preprocessedMsqQuantizer}. */
export const preprocessedMsqOptions = z.strictObject({
  /** Bits per weight, 1–8 (the alphabet has 2^b − 1 levels midtread, 2^b midrise, 2 at 1 bit). */
  bits: z.number().int().min(MIN_ALPHABET_BITS).max(MAX_ALPHABET_BITS).default(4),
  /** Alphabet shape shared with plain MSQ and GPFQ. */
  alphabet: z.enum(["midtread", "midrise"]).default("midtread"),
  /** Where each coordinate may move during the walk: its own cell, or the whole range [−c, c]. */
  constraint: z.enum(["cell", "box"]).default("cell"),
  /**
   * Calibration samples m; each layer uses m_l = min(m, ⌊N0/2⌋). The training-error bound
   * ‖X_F‖·√m·δ/2 favours m ≪ N0 while generalisation wants more samples; on mnist-mlp m = 64 gave
   * the lowest held-out layer errors and the best accuracy of {64, 128, 256} (package README).
   */
  samples: z.number().int().min(1).max(1_000_000).default(64),
  /** Keep X̃z = X̃w on the quantized network's layer inputs (default) or X_f z = X_f w on the float network's. */
  target: z.enum(["quantized", "float"]).default("quantized"),
});

/** Parsed options of {@link preprocessedMsqQuantizer}. */
export type PreprocessedMsqOptions = z.output<typeof preprocessedMsqOptions>;
/** Options as a user writes them (every field optional). */
export type PreprocessedMsqOptionsInput = z.input<typeof preprocessedMsqOptions>;

/**
 * Runs the vertex walk for every neuron of one layer and rounds the vertex (spec §2).
 * `x` is the layer input (rows × fanIn, row-major), `kernel` the `[fanIn, fanOut]` weights.
 */
function walkLayer(ctx: RunContext, kernel: Float32Array, fanIn: number, fanOut: number, x: Float64Array, rows: number, opts: PreprocessedMsqOptions, name: string) {
  const alphabet = alphabetForWeights(kernel, opts.bits, opts.alphabet);
  const codes = new Uint32Array(kernel.length);
  const plan = planWalk(x, rows, fanIn);
  const ws = createWalkWorkspace(plan);
  const w = new Float64Array(fanIn),
    lo = new Float64Array(fanIn),
    hi = new Float64Array(fanIn);
  const col = new Uint32Array(fanIn);
  let maxFree = 0,
    maxResidual = 0;
  for (let o = 0; o < fanOut; o++) {
    throwIfAborted(ctx);
    for (let i = 0; i < fanIn; i++) w[i] = kernel[i * fanOut + o]!;
    fillCells(alphabet, w, opts.constraint, lo, hi);
    for (let i = 0; i < fanIn; i++) w[i] = Math.min(hi[i]!, Math.max(lo[i]!, w[i]!));
    const s = walkNeuron(plan, ws, w, lo, hi);
    if (s.free > maxFree) maxFree = s.free;
    if (s.residual > maxResidual) maxResidual = s.residual;
    roundToAlphabet(alphabet, w, col);
    for (let i = 0; i < fanIn; i++) codes[i * fanOut + o] = col[i]!;
    ctx.progress.update(`preprocessed-msq ${name}`, o + 1, fanOut);
  }
  return { alphabet, codes, summary: { layer: name, samples: rows, rank: plan.rank, maxFree, maxResidual } };
}

/**
 * Preprocessed memoryless scalar quantization (Maly & Saab, "A simple approach for quantizing
 * neural networks", ACHA 2023; our reading in `methods/preprocessed-msq.md`). Layer by layer, each
 * neuron's weights w move to a vertex of {z : Xz = Xw, z_i in w_i's alphabet cell} — so the layer
 * output on the m calibration samples is unchanged and at most m coordinates are off the
 * alphabet — and are then rounded to the alphabet. The relative error ‖X(w − q)‖/‖Xw‖ thereby
 * decays with the layer width N0 instead of staying flat as for plain MSQ.
 *
 * Needs the model capability `layerInputs`. Layers with N0 < 2 get plain MSQ. Codes use one
 * `affine` codebook per kernel (exactly the alphabet's levels); biases stay float by default.
 *
 * @param defaults - option defaults merged under the options given at run time
 * @example
 * ```ts
 * const r = await pipeline({ seed: 1 }).model(probe).quantize(preprocessedMsqQuantizer({ bits: 3 })).run();
 * ```
 */
export function preprocessedMsqQuantizer(defaults?: Partial<PreprocessedMsqOptionsInput>): QuantizerPlugin<PreprocessedMsqOptions> {
  return defineQuantizer({
    id: "preprocessed-msq",
    version: VERSION,
    description: "Data-driven pre-processing (vertex walk keeping X·z = X·w) + memoryless scalar quantization (Maly & Saab 2023)",
    options: preprocessedMsqOptions,
    defaults,
    create: (opts) => ({
      id: "preprocessed-msq",
      needs: ["layerInputs"],
      quantize: (weights: WeightSet, ctx: RunContext) =>
        quantizeLayerwise("preprocessed-msq", weights, ctx, opts.bits, opts.alphabet, async ({ tensor, layer, fanIn, fanOut, current }) => {
          // m_l = min(m, ⌊N0/2⌋) (spec §3), and never more samples than the probe has.
          const mL = Math.min(opts.samples, Math.floor(fanIn / 2), ctx.model!.calibrationSet?.count ?? Infinity);
          if (mL < 1) {
            const why = fanIn < 2 ? `has fan-in ${fanIn} < 2: no room for m < N0 samples` : "has no calibration samples";
            ctx.diagnostics.report({ severity: "warning", source: "preprocessed-msq", ruleId: "narrow-layer", tensor: tensor.name, message: `layer "${layer.name}" ${why}; using plain MSQ.` });
            return msqTensor(tensor.data, opts.bits, opts.alphabet);
          }
          const probe = ctx.model!.layerInputs!;
          const x = await probe.layerInputs(layer.name, mL, opts.target === "quantized" ? current() : undefined);
          if (x.cols !== fanIn) throw new ShapeMismatchError(`layer inputs of "${layer.name}" have ${x.cols} columns but the kernel has fan-in ${fanIn}. The model probe is inconsistent; fix its layerInputs.`);
          const { data, rows } = selectRows(x, mL, ctx.rng.fork(`preprocessed-msq:${layer.name}`));
          const r = walkLayer(ctx, tensor.data, fanIn, fanOut, data, rows, opts, layer.name);
          ctx.diagnostics.report({
            severity: "info",
            source: "preprocessed-msq",
            ruleId: "layer-walk",
            tensor: tensor.name,
            message: `layer "${layer.name}": m_l = ${rows}, rank ${r.summary.rank}, ≤ ${r.summary.maxFree} coordinates per neuron off the alphabet before rounding, constraint residual ${r.summary.maxResidual.toExponential(1)}.`,
          });
          return r;
        }),
    }),
  });
}
