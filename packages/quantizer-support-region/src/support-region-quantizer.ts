import {
  aliasedEnum,
  assertWeightSet,
  channelAxisSchema,
  defineQuantizer,
  resolveChannelAxis,
  scopeSchema,
  throwIfAborted,
  z,
  TENSOR_GROUPING,
  type ChannelAxis,
  type GridCodebook,
  type OptionAliases,
  type QuantizedModel,
  type QuantizedTensor,
  type QuantizerPlugin,
  type RunContext,
  type WeightSet,
  type WeightTensor,
} from "@quantforge/core";
import { centerScale, gridEncode, storableXMax } from "./support-region-impl.js";
import { resolveSupport, type SupportOrigin } from "./support-resolve.js";
import { formatSupportSpec, parseSupportSpec, supportSpecProblem } from "./support-spec.js";
import { VERSION } from "./version.js";

/** Plugin id. */
const ID = "support-region";

/** Id of the one codebook every tensor references in joint scope (kept: it is stored in `.qf` files). */
export const GLOBAL_CODEBOOK_ID = "support-region/global";

/**
 * Old option spellings support-region still accepts (with a `deprecated-option` warning): its
 * `global` scope (one μ, σ and codebook over every quantized tensor, the paper's "global") is
 * what the other quantizers call `joint` (core's shared `scopeSchema`).
 */
export const SUPPORT_REGION_OPTION_ALIASES = Object.freeze({ scope: Object.freeze({ global: "joint" }) }) satisfies OptionAliases;

/** How diagnostics name a scope: the paper's words, so messages read as before the rename. */
const SCOPE_WORDS = { joint: "global", layer: "layer" } as const;

/** zod schema of the support-region options (defaults applied by it). */
export const supportRegionOptionsSchema = z
  .strictObject({
    /** Bits per weight R, 2–4: N = 2^R midrise levels. @default 2 */
    bits: z.number().int().min(2).max(4).default(2),
    /**
     * Support region x_max: `optimal` | `iterative` | `max` | `mse` | `sigma:<k>` |
     * `percentile:<p>` | `value:<x>` (see README). @default "optimal"
     */
    supportRegion: z
      .string()
      .superRefine((v, ctx) => {
        const p = supportSpecProblem(v);
        if (p) ctx.addIssue({ code: "custom", message: p });
      })
      .default("optimal"),
    /**
     * `layer`: per-tensor μ_l, σ_l (normalise, quantize with the σ = 1 design, map back);
     * `joint`: one μ, σ (and one codebook) over every quantized tensor (`global`: deprecated
     * spelling of `joint`). @default "layer"
     */
    scope: aliasedEnum(scopeSchema.options, SUPPORT_REGION_OPTION_ALIASES.scope).default("layer"),
    /**
     * Midtread variant (beyond the paper): N = 2^R − 1 levels with a zero level; μ is fixed at 0 and
     * σ is the RMS, so the central cell [−Δ/2, Δ/2]·σ maps to exactly 0. Supports: optimal (the
     * midtread root), max, sigma:<k>, percentile:<p>, value:<x>. @default false (the paper's midrise)
     */
    midtread: z.boolean().default(false),
    /**
     * `tensor`: one μ, σ per tensor (the paper); `channel`: one μ_c, σ_c per index of `axis` (layer
     * scope only), with one x_max (units of σ) per tensor chosen on the normalised weights.
     * @default "tensor"
     */
    granularity: z.enum(["tensor", "channel"]).default("tensor"),
    /**
     * Channel axis for `granularity: "channel"`: `"output"` (the layer's output channels as the
     * model format records them; the last axis when unknown), `"input"`, or a number (negative
     * counts from the end). @default "output"
     */
    axis: channelAxisSchema.default("output"),
  })
  .superRefine((o, ctx) => {
    const s = o.supportRegion;
    if (o.granularity === "channel" && o.scope === "joint") ctx.addIssue({ code: "custom", path: ["granularity"], message: '"channel" needs scope "layer" (joint scope shares one μ, σ across tensors)' });
    if (o.granularity === "channel" && s.startsWith("value:"))
      ctx.addIssue({ code: "custom", path: ["supportRegion"], message: `"${s}" gives x_max in weight units, which differ per channel; with granularity channel use optimal, iterative, max, mse, sigma:<k> or percentile:<p>` });
    if (!o.midtread) return;
    if (s === "iterative" || s === "mse")
      ctx.addIssue({ code: "custom", path: ["supportRegion"], message: `"${o.supportRegion}" is defined for the midrise quantizer only; with midtread use optimal, max, sigma:<k>, percentile:<p> or value:<x>` });
  });

/** Validated support-region options. */
export type SupportRegionOptions = z.output<typeof supportRegionOptionsSchema>;
/** support-region options as a user writes them (every field optional). */
export type SupportRegionOptionsInput = z.input<typeof supportRegionOptionsSchema>;
/**
 * Scope of the normalisation as a user may write it: one μ, σ per tensor (`layer`) or for all
 * tensors (`joint`, or its deprecated spelling `global`). Validated options hold `layer` | `joint`.
 */
export type SupportScope = NonNullable<SupportRegionOptionsInput["scope"]>;

/** What the quantizer chose for one tensor (also reported as an `info` diagnostic). */
export interface SupportRegionTensorDetail {
  readonly tensor: string;
  /** Id of the codebook the tensor references. */
  readonly codebook: string;
  readonly scope: SupportRegionOptions["scope"];
  /** The support choice, canonical form (`optimal`, `sigma:3`, …). */
  readonly support: string;
  /** Stored x_max in units of σ (the float32 value of the grid codebook). */
  readonly xMaxSigma: number;
  /** How it was obtained (`rule`, or for `mse` the winning candidate). */
  readonly origin: SupportOrigin;
  /** Stored μ and σ of the codebook (float32 values). */
  readonly mu: number;
  readonly sigma: number;
  /** Weights of the tensor. */
  readonly count: number;
  /** max|w − μ|/σ of this tensor with the codebook's μ, σ (null when σ = 0). */
  readonly maxAbsOverSigma: number | null;
  /** Weights of this tensor beyond ±x_max (the overload region). */
  readonly overloadCount: number;
  /** σ = 0 (constant tensor, one element, or all weights equal): every weight decodes to μ. */
  readonly degenerate: boolean;
  /** x_max was moved to the accepted range or lowered to keep the outer levels finite. */
  readonly clamped: boolean;
  /** Per channel: the number of channels (`mu`/`sigma` are then the means over channels). */
  readonly channels?: number;
}

/** Result of {@link supportRegionQuantize}: the model plus what was chosen per tensor. */
export interface SupportRegionResult {
  readonly model: QuantizedModel;
  readonly details: readonly SupportRegionTensorDetail[];
}

interface Cell {
  readonly id: string;
  readonly tensors: WeightSet;
  readonly codebook: GridCodebook;
  readonly origin: SupportOrigin;
  readonly degenerate: boolean;
  readonly clamped: boolean;
}

function quantizeCell(id: string, tensors: WeightSet, bits: number, support: ReturnType<typeof parseSupportSpec>, midtread = false): Cell {
  const levels = midtread ? 2 ** bits - 1 : 2 ** bits;
  const parts = tensors.map((t) => t.data);
  const st = centerScale(parts, { zeroMean: midtread });
  const sigma = Math.fround(st.sigma);
  const degenerate = sigma === 0;
  // σ = 0: every weight decodes to μ whatever x_max is, so data choices (0/0) are not taken;
  // the design support is stored so the codebook stays a valid, finite design.
  const r = degenerate ? resolveSupport({ kind: "optimal" }, bits, null, { midtread }) : resolveSupport(support, bits, { parts, mu: st.mu, sigma, maxDev: st.maxDev }, { midtread });
  const s = storableXMax(r.xMaxSigma, levels, st.mu, sigma, midtread);
  const codebook: GridCodebook = {
    kind: "grid",
    id,
    levels,
    xMax: s.xMax,
    midtread,
    sigma: Float32Array.of(sigma),
    mu: Float32Array.of(st.mu),
    sigmaSource: midtread ? "rms" : "std",
  };
  return { id, tensors, codebook, origin: r.origin, degenerate, clamped: s.clamped && !degenerate };
}

interface ChannelResult {
  readonly codebook: GridCodebook;
  readonly codes: Uint32Array;
  readonly axis: number;
  readonly origin: SupportOrigin;
  readonly degenerate: boolean;
  readonly clamped: boolean;
  readonly overload: number;
  readonly maxAbsOverSigma: number | null;
  readonly zeroChannels: number;
}

/**
 * One tensor per channel: μ_c, σ_c per index of the axis (μ_c = 0, σ_c = RMS with midtread), one
 * x_max in units of σ for the tensor, chosen on the normalised weights (w − μ_c)/σ_c of every
 * non-constant channel pooled (data choices `max`, `percentile`, `mse` see all of them), and
 * lowered if needed so every channel's outer level stays a finite float32.
 */
function quantizeChannels(t: WeightTensor, bits: number, support: ReturnType<typeof parseSupportSpec>, midtread: boolean, axisOpt: ChannelAxis): ChannelResult {
  const rank = t.shape.length;
  const axis = resolveChannelAxis(t, axisOpt, "support-region");
  const C = t.shape[axis]!;
  let inner = 1;
  for (let a = axis + 1; a < rank; a++) inner *= t.shape[a]!;
  const outer = C * inner === 0 ? 0 : t.data.length / (C * inner);
  const levels = midtread ? 2 ** bits - 1 : 2 ** bits;
  // Gather each channel contiguously (row-major index = (o·C + c)·inner + k).
  const chans = Array.from({ length: C }, () => new Float32Array(outer * inner));
  for (let o = 0, i = 0; o < outer; o++) for (let c = 0; c < C; c++) for (let k = 0; k < inner; k++) chans[c]![o * inner + k] = t.data[i++]!;
  const mu = new Float32Array(C),
    sigma = new Float32Array(C);
  const normalized: Float32Array[] = [];
  let maxDev = 0,
    zeroChannels = 0;
  for (let c = 0; c < C; c++) {
    const st = centerScale([chans[c]!], { zeroMean: midtread });
    mu[c] = st.mu;
    sigma[c] = Math.fround(st.sigma);
    if (sigma[c] === 0) {
      zeroChannels++;
      continue;
    }
    const z = new Float32Array(chans[c]!.length);
    for (let j = 0; j < z.length; j++) z[j] = (chans[c]![j]! - mu[c]!) / sigma[c]!;
    normalized.push(z);
    maxDev = Math.max(maxDev, st.maxDev / sigma[c]!);
  }
  const degenerate = normalized.length === 0;
  const r = degenerate ? resolveSupport({ kind: "optimal" }, bits, null, { midtread }) : resolveSupport(support, bits, { parts: normalized, mu: 0, sigma: 1, maxDev }, { midtread });
  let xMax = Infinity,
    clamped = false;
  for (let c = 0; c < C; c++) {
    const sx = storableXMax(r.xMaxSigma, levels, mu[c]!, sigma[c]!, midtread);
    xMax = Math.min(xMax, sx.xMax);
    clamped ||= sx.clamped;
  }
  if (C === 0) xMax = storableXMax(r.xMaxSigma, levels, 0, 0, midtread).xMax;
  const codes = new Uint32Array(t.data.length);
  const chCodes = new Uint32Array(outer * inner);
  let overload = 0;
  for (let c = 0; c < C; c++) {
    overload += gridEncode(chans[c]!, levels, xMax, mu[c]!, sigma[c]!, chCodes, midtread).overload;
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) codes[(o * C + c) * inner + k] = chCodes[o * inner + k]!;
  }
  const codebook: GridCodebook = { kind: "grid", id: t.name, levels, xMax, midtread, sigma, mu, sigmaSource: midtread ? "rms" : "std" };
  return { codebook, codes, axis, origin: r.origin, degenerate, clamped: clamped && !degenerate, overload, maxAbsOverSigma: degenerate ? null : maxDev, zeroChannels };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(5) : String(v);
}

/**
 * Quantizes a weight set with validated options and tells what was chosen per tensor. In
 * `layer` scope every tensor gets its own `grid` codebook (id = tensor name) with its μ_l, σ_l;
 * in `joint` scope one codebook ({@link GLOBAL_CODEBOOK_ID}) with the μ, σ of all tensors
 * together serves every tensor. Deterministic (no randomness is involved).
 *
 * @param weights - The tensors to quantize (already selected; finite).
 * @param o - Validated options.
 * @param ctx - Run context: diagnostics (`info` per tensor with the choice), abort signal, progress.
 * @throws {NonFiniteError} on NaN/±Inf weights, {ShapeMismatchError} on a bad shape or duplicate names.
 */
export function supportRegionQuantize(weights: WeightSet, o: SupportRegionOptions, ctx?: RunContext): SupportRegionResult {
  // The pipeline checks this too; direct callers get the same typed error instead of NaN codes.
  assertWeightSet(weights);
  const support = parseSupportSpec(o.supportRegion);
  const supportName = formatSupportSpec(support);
  const cells: Cell[] = [];
  if (o.granularity === "channel" && o.scope === "layer") {
    // handled below, per channel
  } else if (o.scope === "joint") {
    if (weights.length > 0) cells.push(quantizeCell(GLOBAL_CODEBOOK_ID, weights, o.bits, support, o.midtread));
  } else {
    weights.forEach((t, i) => {
      if (ctx) throwIfAborted(ctx);
      cells.push(quantizeCell(t.name, [t], o.bits, support, o.midtread));
      ctx?.progress.update(ID, i + 1, weights.length);
    });
  }
  const tensors: QuantizedTensor[] = [];
  const details: SupportRegionTensorDetail[] = [];
  if (o.granularity === "channel" && o.scope === "layer") {
    const codebooks: GridCodebook[] = [];
    weights.forEach((t, i) => {
      if (ctx) throwIfAborted(ctx);
      // A rank-0 tensor has no channel axis: one group, as per tensor.
      if (t.shape.length === 0) {
        const cell = quantizeCell(t.name, [t], o.bits, support, o.midtread);
        const codes = new Uint32Array(t.data.length);
        const st = gridEncode(t.data, cell.codebook.levels, cell.codebook.xMax, cell.codebook.mu[0]!, cell.codebook.sigma[0]!, codes, o.midtread);
        codebooks.push(cell.codebook);
        tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: t.name, grouping: TENSOR_GROUPING, codes });
        details.push({
          tensor: t.name,
          codebook: t.name,
          scope: "layer",
          support: supportName,
          xMaxSigma: cell.codebook.xMax,
          origin: cell.origin,
          mu: cell.codebook.mu[0]!,
          sigma: cell.codebook.sigma[0]!,
          count: t.data.length,
          maxAbsOverSigma: null,
          overloadCount: st.overload,
          degenerate: cell.degenerate,
          clamped: cell.clamped,
        });
        return;
      }
      const r = quantizeChannels(t, o.bits, support, o.midtread, o.axis);
      codebooks.push(r.codebook);
      tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: t.name, grouping: { kind: "channel", axis: r.axis }, codes: r.codes });
      const n = r.codebook.sigma.length;
      const avg = (a: Float32Array) => (n === 0 ? 0 : a.reduce((x, v) => x + v, 0) / n);
      const d: SupportRegionTensorDetail = {
        tensor: t.name,
        codebook: t.name,
        scope: "layer",
        support: supportName,
        xMaxSigma: r.codebook.xMax,
        origin: r.origin,
        mu: avg(r.codebook.mu),
        sigma: avg(r.codebook.sigma),
        count: t.data.length,
        maxAbsOverSigma: r.maxAbsOverSigma,
        overloadCount: r.overload,
        degenerate: r.degenerate,
        clamped: r.clamped,
        channels: n,
      };
      details.push(d);
      ctx?.diagnostics.report({
        severity: "info",
        source: ID,
        ruleId: "support-choice",
        tensor: t.name,
        message: `support ${supportName}${d.origin === "rule" ? "" : ` (won by ${d.origin})`} → x_max = ${fmt(d.xMaxSigma)}σ_c over ${n} channel(s) (axis ${r.axis}${r.zeroChannels ? `, ${r.zeroChannels} constant` : ""}); ${d.overloadCount} weight(s) clipped.`,
      });
      ctx?.progress.update(ID, i + 1, weights.length);
    });
    return { model: { codebooks, tensors }, details };
  }
  for (const cell of cells) {
    const cb = cell.codebook;
    const mu = cb.mu[0]!,
      sigma = cb.sigma[0]!;
    for (const t of cell.tensors) {
      const codes = new Uint32Array(t.data.length);
      const st = gridEncode(t.data, cb.levels, cb.xMax, mu, sigma, codes, cb.midtread);
      let maxDev = 0;
      for (let i = 0; i < t.data.length; i++) maxDev = Math.max(maxDev, Math.abs(t.data[i]! - mu));
      tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: cb.id, grouping: TENSOR_GROUPING, codes });
      const d: SupportRegionTensorDetail = {
        tensor: t.name,
        codebook: cb.id,
        scope: o.scope,
        support: supportName,
        xMaxSigma: cb.xMax,
        origin: cell.origin,
        mu,
        sigma,
        count: t.data.length,
        maxAbsOverSigma: sigma > 0 ? maxDev / sigma : null,
        overloadCount: st.overload,
        degenerate: cell.degenerate,
        clamped: cell.clamped,
      };
      details.push(d);
      if (!ctx) continue;
      ctx.diagnostics.report({
        severity: "info",
        source: ID,
        ruleId: "support-choice",
        tensor: t.name,
        message: d.degenerate
          ? `σ = 0 (${SCOPE_WORDS[o.scope]} scope), every weight decodes to μ = ${fmt(mu)}; support ${supportName} not applied.`
          : `support ${supportName}${d.origin === "rule" ? "" : ` (won by ${d.origin})`} → x_max = ${fmt(d.xMaxSigma)}σ, σ = ${fmt(sigma)}, μ = ${fmt(mu)}, ${SCOPE_WORDS[o.scope]} scope; max|w − μ| = ${fmt(d.maxAbsOverSigma!)}σ, ${d.overloadCount} weight(s) clipped.`,
      });
      if (d.clamped) {
        ctx.diagnostics.report({
          severity: "warning",
          source: ID,
          ruleId: "support-clamped",
          tensor: t.name,
          message: `support ${supportName} gave an x_max outside 2^-20…2^40 σ or beyond float32 range; it was moved to ${fmt(d.xMaxSigma)}σ. Choose another support region.`,
        });
      }
    }
  }
  return { model: { codebooks: cells.map((c) => c.codebook), tensors }, details };
}

/**
 * The `support-region` quantizer plugin (Tomić et al. 2022, seed 001): the symmetric
 * N = 2^R-level (R = 2–4) midrise uniform quantizer of the σ = 1 Laplacian design with a chosen
 * support region x_max, applied after removing the mean and scaling by σ — per tensor (`layer`,
 * the paper's layer-wise variant) or with one μ, σ for all tensors (`global`). The artifact is a
 * core `grid` codebook (N, x_max in units of σ, σ and μ), so decoding needs only what is stored
 * and the parameters count in the size.
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(supportRegionQuantizer({ bits: 2, supportRegion: "mse" })).run();
 * ```
 */
export function supportRegionQuantizer(defaults?: Partial<SupportRegionOptionsInput>): QuantizerPlugin<SupportRegionOptions> {
  return defineQuantizer({
    id: ID,
    version: VERSION,
    description: "2–4 bit uniform quantizer of the Laplacian design with a chosen support region (optimal, iterative, max, k·σ, percentile, value, measured-MSE search), layer-wise or global; midrise (paper) or midtread (exact zero).",
    options: supportRegionOptionsSchema,
    optionAliases: SUPPORT_REGION_OPTION_ALIASES,
    defaults,
    create: (o) => ({
      id: ID,
      quantize: (weights: WeightSet, ctx: RunContext) => supportRegionQuantize(weights, o, ctx).model,
    }),
  });
}
