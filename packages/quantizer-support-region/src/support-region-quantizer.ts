import { assertWeightSet, defineQuantizer, throwIfAborted, TENSOR_GROUPING, type GridCodebook, type QuantizedTensor, type QuantizerPlugin, type RunContext, type WeightSet } from "@quantforge/core";
import { quantizeCell, quantizeChannels, type Cell } from "./support-region-cells.js";
import { gridEncode } from "./support-region-impl.js";
import {
  GLOBAL_CODEBOOK_ID,
  SUPPORT_REGION_OPTION_ALIASES,
  supportRegionOptionsSchema,
  type SupportRegionOptions,
  type SupportRegionOptionsInput,
  type SupportRegionResult,
  type SupportRegionTensorDetail,
} from "./support-region-options.js";
import { formatSupportSpec, parseSupportSpec } from "./support-spec.js";
import { VERSION } from "./version.js";

/** Plugin id. */
const ID = "support-region";

/** How diagnostics name a scope: the paper's words, so messages read as before the rename. */
const SCOPE_WORDS = { joint: "global", layer: "layer" } as const;

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
