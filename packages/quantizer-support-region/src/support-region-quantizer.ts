import {
  assertWeightSet, defineQuantizer, throwIfAborted, z, TENSOR_GROUPING,
  type GridCodebook, type QuantizedModel, type QuantizedTensor, type QuantizerPlugin, type RunContext, type WeightSet,
} from "@quantforge/core";
import { centerScale, gridEncode, storableXMax } from "./support-region-impl.js";
import { resolveSupport, type SupportOrigin } from "./support-resolve.js";
import { formatSupportSpec, parseSupportSpec, supportSpecProblem } from "./support-spec.js";
import { VERSION } from "./version.js";

/** Plugin id. */
const ID = "support-region";

/** Id of the one codebook every tensor references in global scope. */
export const GLOBAL_CODEBOOK_ID = "support-region/global";

/** zod schema of the support-region options (defaults applied by it). */
export const supportRegionOptionsSchema = z.strictObject({
  /** Bits per weight R, 2–4: N = 2^R midrise levels. @default 2 */
  bits: z.number().int().min(2).max(4).default(2),
  /**
   * Support region x_max: `optimal` | `iterative` | `max` | `mse` | `sigma:<k>` |
   * `percentile:<p>` | `value:<x>` (see README). @default "optimal"
   */
  supportRegion: z.string().superRefine((v, ctx) => {
    const p = supportSpecProblem(v);
    if (p) ctx.addIssue({ code: "custom", message: p });
  }).default("optimal"),
  /**
   * `layer`: per-tensor μ_l, σ_l (normalise, quantize with the σ = 1 design, map back);
   * `global`: one μ, σ (and one codebook) over every quantized tensor. @default "layer"
   */
  scope: z.enum(["global", "layer"]).default("layer"),
  /**
   * Midtread variant (beyond the paper): N = 2^R − 1 levels with a zero level; μ is fixed at 0 and
   * σ is the RMS, so the central cell [−Δ/2, Δ/2]·σ maps to exactly 0. Supports: optimal (the
   * midtread root), max, sigma:<k>, percentile:<p>, value:<x>. @default false (the paper's midrise)
   */
  midtread: z.boolean().default(false),
}).superRefine((o, ctx) => {
  if (!o.midtread) return;
  const s = o.supportRegion;
  if (s === "iterative" || s === "mse") ctx.addIssue({ code: "custom", path: ["supportRegion"], message: `"${o.supportRegion}" is defined for the midrise quantizer only; with midtread use optimal, max, sigma:<k>, percentile:<p> or value:<x>` });
});

/** Validated support-region options. */
export type SupportRegionOptions = z.output<typeof supportRegionOptionsSchema>;
/** support-region options as a user writes them (every field optional). */
export type SupportRegionOptionsInput = z.input<typeof supportRegionOptionsSchema>;
/** Scope of the normalisation: one μ, σ per tensor or for all tensors. */
export type SupportScope = SupportRegionOptions["scope"];

/** What the quantizer chose for one tensor (also reported as an `info` diagnostic). */
export interface SupportRegionTensorDetail {
  readonly tensor: string;
  /** Id of the codebook the tensor references. */
  readonly codebook: string;
  readonly scope: SupportScope;
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
  const r = degenerate
    ? resolveSupport({ kind: "optimal" }, bits, null, { midtread })
    : resolveSupport(support, bits, { parts, mu: st.mu, sigma, maxDev: st.maxDev }, { midtread });
  const s = storableXMax(r.xMaxSigma, levels, st.mu, sigma, midtread);
  const codebook: GridCodebook = {
    kind: "grid", id, levels, xMax: s.xMax, midtread,
    sigma: Float32Array.of(sigma), mu: Float32Array.of(st.mu), sigmaSource: midtread ? "rms" : "std",
  };
  return { id, tensors, codebook, origin: r.origin, degenerate, clamped: s.clamped && !degenerate };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(5) : String(v);
}

/**
 * Quantizes a weight set with validated options and tells what was chosen per tensor. In
 * `layer` scope every tensor gets its own `grid` codebook (id = tensor name) with its μ_l, σ_l;
 * in `global` scope one codebook ({@link GLOBAL_CODEBOOK_ID}) with the μ, σ of all tensors
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
  if (o.scope === "global") {
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
  for (const cell of cells) {
    const cb = cell.codebook;
    const mu = cb.mu[0]!, sigma = cb.sigma[0]!;
    for (const t of cell.tensors) {
      const codes = new Uint32Array(t.data.length);
      const st = gridEncode(t.data, cb.levels, cb.xMax, mu, sigma, codes, cb.midtread);
      let maxDev = 0;
      for (let i = 0; i < t.data.length; i++) maxDev = Math.max(maxDev, Math.abs(t.data[i]! - mu));
      tensors.push({ name: t.name, shape: t.shape, role: t.role, layer: t.layer, layerKind: t.layerKind, codebook: cb.id, grouping: TENSOR_GROUPING, codes });
      const d: SupportRegionTensorDetail = {
        tensor: t.name, codebook: cb.id, scope: o.scope, support: supportName, xMaxSigma: cb.xMax, origin: cell.origin,
        mu, sigma, count: t.data.length, maxAbsOverSigma: sigma > 0 ? maxDev / sigma : null,
        overloadCount: st.overload, degenerate: cell.degenerate, clamped: cell.clamped,
      };
      details.push(d);
      if (!ctx) continue;
      ctx.diagnostics.report({
        severity: "info", source: ID, ruleId: "support-choice", tensor: t.name,
        message: d.degenerate
          ? `σ = 0 (${o.scope} scope), every weight decodes to μ = ${fmt(mu)}; support ${supportName} not applied.`
          : `support ${supportName}${d.origin === "rule" ? "" : ` (won by ${d.origin})`} → x_max = ${fmt(d.xMaxSigma)}σ, σ = ${fmt(sigma)}, μ = ${fmt(mu)}, ${o.scope} scope; max|w − μ| = ${fmt(d.maxAbsOverSigma!)}σ, ${d.overloadCount} weight(s) clipped.`,
      });
      if (d.clamped) {
        ctx.diagnostics.report({
          severity: "warning", source: ID, ruleId: "support-clamped", tensor: t.name,
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
    defaults,
    create: (o) => ({
      id: ID,
      quantize: (weights: WeightSet, ctx: RunContext) => supportRegionQuantize(weights, o, ctx).model,
    }),
  });
}
