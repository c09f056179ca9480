import {
  InvalidOptionsError,
  MissingCapabilityError,
  ShapeMismatchError,
  assertFinite,
  channelAxisSchema,
  defineQuantizer,
  granularitySchema,
  groupCount,
  groupIndexMap,
  groupSizeSchema,
  printable,
  resolveChannelAxis,
  throwIfAborted,
  z,
  type Codebook,
  type Grouping,
  type LayerInfo,
  type QuantizedModel,
  type QuantizedTensor,
  type AutoEligibility,
  type QuantizerPlugin,
  type RunContext,
  type WeightSet,
  type WeightTensor,
} from "@quantforge/core";
import { gptqLayer, roundToGrid } from "./gptq-impl.js";
import { hessianFromInputs } from "./linalg.js";
import { VERSION } from "./version.js";

/** zod schema of the gptq options: rtn's grid options plus GPTQ's own. */
export const gptqOptionsSchema = z
  .strictObject({
    /** Bits per code, 1–16. @default 4 */
    bits: z.number().int().min(1).max(16).default(4),
    /** `asymmetric` min/max grid (2^b levels) or `symmetric` around 0 (2^b − 1 levels), as rtn. @default "asymmetric" */
    scheme: z.enum(["asymmetric", "symmetric"]).default("asymmetric"),
    /** Asymmetric only: `exact` makes 0 a level (integral zero point); `free` starts the grid at the minimum. @default "exact" */
    zero: z.enum(["exact", "free"]).default("exact"),
    /**
     * One grid per `tensor`, per `channel` along `axis`, or per `group` of `groupSize` row-major
     * elements. @default "group" when `groupSize` is given, else "channel"
     */
    granularity: granularitySchema.optional(),
    /** Channel axis for `granularity: "channel"` (`"output"`, `"input"` or a number), as rtn. @default "output" */
    axis: channelAxisSchema.default("output"),
    /** Elements per group for `granularity: "group"` (giving it alone selects groups). @default 128 */
    groupSize: groupSizeSchema.optional(),
    /** λ of H += λ·mean(diag H)·I (the reference's `percdamp`). @default 0.01 */
    dampening: z.number().min(0).max(1e6).default(0.01),
    /** Quantize the inputs in order of decreasing H_kk (the reference's `--act-order`). @default false */
    actOrder: z.boolean().default(false),
    /** Columns per lazy-batch block. @default 128 */
    blockSize: z.number().int().min(1).max(65_536).default(128),
    /** Calibration samples per layer (capped at the model's calibration set). @default 128 */
    samples: z.number().int().min(1).max(1_000_000).default(128),
    /**
     * `quantized`: each layer's inputs come from the network with the earlier layers already
     * quantized (the reference's sequential mode); `float`: from the float network.
     * @default "quantized"
     */
    target: z.enum(["quantized", "float"]).default("quantized"),
  })
  .superRefine((o, ctx) => {
    if (o.scheme === "symmetric" && o.bits < 2) ctx.addIssue({ code: "custom", path: ["bits"], message: "must be at least 2 with scheme symmetric (2^b − 1 levels)" });
    if (o.scheme === "symmetric" && o.zero === "free") ctx.addIssue({ code: "custom", path: ["zero"], message: "cannot be free with scheme symmetric; drop the option" });
  })
  // `--option groupSize=32` alone means groups of 32, as the issue's `quantize … --option groupSize=32` asks.
  .transform((o) => ({ ...o, granularity: o.granularity ?? (o.groupSize !== undefined ? ("group" as const) : ("channel" as const)), groupSize: o.groupSize ?? 128 }));

/** Validated gptq options. */
export type GptqOptions = z.output<typeof gptqOptionsSchema>;
/** gptq options as a user writes them. */
export type GptqOptionsInput = z.input<typeof gptqOptionsSchema>;

/** H is not positive definite even after dampening (calibration inputs too few or degenerate). */
export class HessianNotPositiveDefiniteError extends InvalidOptionsError {
  constructor(layer: string, column: number, dampening: number) {
    super("gptq", "dampening", `${dampening} leaves H of layer "${printable(layer)}" not positive definite (Cholesky pivot at input ${column}); raise dampening (e.g. 0.01–0.1) or give more calibration samples`);
  }
}

/** The grouping of a tensor for the options (channel axis resolved through the tensor's layout). */
export function gptqGrouping(t: WeightTensor, o: GptqOptions): Grouping {
  if (o.granularity === "group") return { kind: "group", size: o.groupSize };
  if (o.granularity === "tensor" || t.shape.length === 0) return { kind: "tensor" };
  return { kind: "channel", axis: resolveChannelAxis(t, o.axis, "gptq") };
}

interface Quantized {
  readonly codebook: Codebook;
  readonly codes: Uint32Array;
  readonly grouping: Grouping;
}

/** Row-major `[rows, cols]` → `[cols, rows]` (any element type). */
function transposed<A extends Float32Array | Int32Array | Uint32Array>(a: A, rows: number, cols: number): A {
  const out = new (a.constructor as new (n: number) => A)(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/**
 * GPTQ of one kernel `[fanIn, fanOut]`, or `[fanOut, fanIn]` when `outputsFirst` (a PyTorch
 * Linear weight, or the transposed view `--target onnx-nbits` quantizes so that groups run along
 * the inputs): the algorithm runs on the `[fanIn, fanOut]` view, codes come back in `t`'s layout.
 * Identity H = plain rounding on the same grids.
 */
function quantizeKernel(t: WeightTensor, k: number, n: number, h: Float64Array, o: GptqOptions, layer: string, outputsFirst = false): Quantized {
  const grouping = gptqGrouping(t, o);
  const own = groupIndexMap(t.shape, grouping);
  const groups = outputsFirst ? transposed(own, n, k) : own;
  const w = outputsFirst ? transposed(t.data, n, k) : t.data;
  const r = gptqLayer({ w, k, n, h, groups, groupCount: Math.max(1, groupCount(t.shape, grouping)), spec: o, dampening: o.dampening, actOrder: o.actOrder, blockSize: o.blockSize });
  if (!r.ok) throw new HessianNotPositiveDefiniteError(layer, r.failedColumn, o.dampening);
  const codes = outputsFirst ? transposed(r.codes, k, n) : r.codes;
  return { codebook: { kind: "affine", id: t.name, levels: r.levels, scale: r.scale, zeroPoint: r.zeroPoint }, codes, grouping };
}

/** A tensor that is no layer's kernel: the same grids without feedback (GPTQ with H = I, which rounds to nearest). */
function roundOnly(t: WeightTensor, o: GptqOptions): Quantized {
  const grouping = gptqGrouping(t, o);
  const r = roundToGrid({ w: t.data, groups: groupIndexMap(t.shape, grouping), groupCount: Math.max(1, groupCount(t.shape, grouping)), spec: o });
  return { codebook: { kind: "affine", id: t.name, levels: r.levels, scale: r.scale, zeroPoint: r.zeroPoint }, codes: r.codes, grouping };
}

/** Whether `t` is the layer's kernel stored `[fanOut, fanIn]` (outputs first) rather than `[…, fanOut]`; throws when it is neither. */
function kernelOf(t: WeightTensor, layer: LayerInfo): boolean {
  const last = t.shape.length - 1;
  const out = t.outputAxis === undefined ? last : t.outputAxis < 0 ? t.outputAxis + t.shape.length : t.outputAxis;
  if (t.shape.length === 2 && out === 0 && t.shape[0] === layer.fanOut && t.shape[1] === layer.fanIn) return true;
  if (t.data.length !== layer.fanIn * layer.fanOut || t.shape[last] !== layer.fanOut || out !== last) {
    throw new ShapeMismatchError(
      `kernel "${printable(t.name)}" of shape [${t.shape.join(", ")}] is not laid out [fan-in ${layer.fanIn}, fan-out ${layer.fanOut}] with the outputs last, as layer "${printable(layer.name)}" needs for gptq (or [fan-out, fan-in] with the outputs first). Pass the model's own weights.`,
    );
  }
  return false;
}

async function quantizeLayer(ctx: RunContext, layer: LayerInfo, t: WeightTensor, current: WeightSet, o: GptqOptions): Promise<Quantized> {
  const outputsFirst = kernelOf(t, layer);
  const model = ctx.model!;
  const samples = Math.min(o.samples, model.calibrationSet?.count ?? Infinity);
  if (samples < 1) {
    ctx.diagnostics.report({ severity: "warning", source: "gptq", ruleId: "no-calibration-data", tensor: t.name, message: `the model has no calibration samples; layer "${printable(layer.name)}" is rounded to nearest on the same grid.` });
    return roundOnly(t, o);
  }
  const x = await model.layerInputs!.layerInputs(layer.name, samples, o.target === "quantized" ? current : undefined);
  if (x.cols !== layer.fanIn) throw new ShapeMismatchError(`layer inputs of "${printable(layer.name)}" have ${x.cols} columns but the kernel has fan-in ${layer.fanIn}. The model probe is inconsistent; fix its layerInputs.`);
  throwIfAborted(ctx);
  const h = hessianFromInputs(x.data, x.rows, x.cols);
  return quantizeKernel(t, layer.fanIn, layer.fanOut, h, o, layer.name, outputsFirst);
}

/**
 * GPTQ (Frantar et al. 2022): layer by layer, from the layer's inputs on calibration data
 * (convs through their im2col view), quantizes the kernel column by column with error feedback
 * through the upper Cholesky factor of H⁻¹, onto rtn's affine grids (per tensor, channel or
 * group), so every coder and target that reads rtn's output reads gptq's. Needs the model
 * capability `layerInputs`; selected tensors that are no layer's kernel are rounded on the same
 * grid. Throws {@link HessianNotPositiveDefiniteError} when H + λ·mean(diag)·I is not PD.
 *
 * @param defaults - option defaults under the options given at run time
 */
export function gptqQuantizer(defaults?: Partial<GptqOptionsInput>): QuantizerPlugin<GptqOptions> {
  return defineQuantizer({
    id: "gptq",
    version: VERSION,
    description: "GPTQ (Frantar et al. 2022): layer-wise quantization with Hessian error feedback (Cholesky of H⁻¹, blocks of 128, act order) onto rtn's affine grids",
    options: gptqOptionsSchema,
    defaults,
    auto: GPTQ_AUTO,
    create: (o) => ({
      id: "gptq",
      needs: ["layerInputs"],
      async quantize(weights: WeightSet, ctx: RunContext): Promise<QuantizedModel> {
        const model = ctx.model;
        if (!model?.layerInputs) throw new MissingCapabilityError("gptq", "layerInputs");
        for (const t of weights) assertFinite(t);
        const selected = new Map(weights.map((t) => [t.name, t]));
        const current = new Map(model.weights.map((t) => [t.name, t]));
        const done = new Map<string, Quantized>();
        for (const layer of model.layers ?? []) {
          const t = selected.get(layer.weight);
          if (!t || done.has(t.name)) continue;
          throwIfAborted(ctx);
          ctx.progress.update("gptq", done.size, weights.length);
          const r = await quantizeLayer(
            ctx,
            layer,
            t,
            model.weights.map((w) => current.get(w.name) ?? w),
            o,
          );
          done.set(t.name, r);
          if (o.target === "quantized") {
            // The probe runs the model's own layout: an outputs-first view goes back to [fanIn, fanOut].
            const d = dequantized(t, r);
            current.set(t.name, kernelOf(t, layer) ? { ...t, shape: [layer.fanIn, layer.fanOut], data: transposed(d, layer.fanOut, layer.fanIn) } : { ...t, data: d });
          }
        }
        const codebooks: Codebook[] = [];
        const tensors: QuantizedTensor[] = [];
        for (const t of weights) {
          const r = done.get(t.name) ?? roundOnly(t, o);
          codebooks.push(r.codebook);
          tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: t.name, grouping: r.grouping, codes: r.codes });
        }
        return { codebooks, tensors };
      },
    }),
  });
}

function dequantized(t: WeightTensor, r: Quantized): Float32Array {
  const cb = r.codebook as Extract<Codebook, { kind: "affine" }>;
  const g = groupIndexMap(t.shape, r.grouping);
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround((r.codes[i]! - cb.zeroPoint[g[i]!]!) * cb.scale[g[i]!]!);
  return out;
}

/**
 * gptq as an opt-in `auto` candidate (per output channel at 2–4 bits, on models with layer inputs): auto's `fieldCandidates` collects it, users pass
 * it in auto's `candidates` option. Not tried by default: within the default time budget every
 * extra candidate leaves fewer measured by a forward pass, and adding gptq, hqq and nf4 by default
 * doubled auto's worst-output error on human's emotion.json at 4 bits/weight (0.0402 → 0.0802,
 * same budget, same seed).
 */
const GPTQ_AUTO: AutoEligibility = Object.freeze({
  order: 40,
  optIn: Object.freeze([{ options: { granularity: "channel", axis: "output", zero: "exact" }, bits: [2, 3, 4] }]),
});
