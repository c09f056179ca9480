import { defineQuantizer, requireCapabilities, throwIfAborted, type AutoEligibility, type Capability, type QuantizerPlugin, type RunContext, type WeightSet } from "@quantforge/core";
import { quantizeHessianEcsq } from "./hessian-ecsq.js";
import { hessianEcsqOptionsSchema, type HessianEcsqOptions, type HessianEcsqOptionsInput } from "./options.js";
import { VERSION } from "./version.js";

const ID = "hessian-ecsq";

/** The importance source the options call for (`kmeans` never uses one). */
export function importanceSource(o: HessianEcsqOptions): "hessian" | "adam" | "none" {
  return o.mode === "kmeans" ? "none" : o.importance;
}

/** Model capabilities an instance with options `o` needs. */
export function neededCapabilities(o: HessianEcsqOptions): Capability[] {
  const src = importanceSource(o);
  return src === "hessian" ? ["hessianDiagonal"] : src === "adam" ? ["optimizerMoments"] : [];
}

/**
 * What the error says when a model lacks the importance `o` asks for (`Quantizer.capabilityAdvice`):
 * real models offer neither a Hessian diagonal nor Adam's moments, and the default importance is
 * the Hessian, so the way out is an option.
 */
export function capabilityAdvice(o: HessianEcsqOptions): string | undefined {
  const src = importanceSource(o);
  if (src === "none") return undefined;
  const where = src === "hessian" ? "the reference models (mnist-mlp, mnist-lenet5) offer a Hessian diagonal" : 'a model trained with "quantforge train" (adam-moments.json beside it) offers Adam\'s moments';
  return `set the option importance=none (unweighted means) or mode=kmeans, which need no model capability (--option importance=none); ${where}.`;
}

/**
 * Fetches the per-weight importance for `weights` from the model: the Hessian diagonal of the
 * loss from `hessianSamples` samples, or √v̂ from Adam's second moments ("Alt-Hessian", spec §2).
 *
 * @throws {MissingCapabilityError} when the run has no model offering it (with {@link capabilityAdvice}).
 */
export async function fetchImportance(o: HessianEcsqOptions, ctx: RunContext): Promise<WeightSet | null> {
  const src = importanceSource(o);
  if (src === "none") return null;
  if (src === "hessian") {
    requireCapabilities(ID, ctx.model, ["hessianDiagonal"], capabilityAdvice(o));
    return ctx.model!.hessian!.hessianDiagonal({ samples: o.hessianSamples, seed: ctx.seed });
  }
  requireCapabilities(ID, ctx.model, ["optimizerMoments"], capabilityAdvice(o));
  const v = await ctx.model!.optimizer!.secondMoments();
  return v.map((t) => {
    const s = new Float32Array(t.data.length);
    for (let i = 0; i < s.length; i++) s[i] = Math.sqrt(Math.max(0, t.data[i]!));
    return { ...t, data: s };
  });
}

/**
 * The `hessian-ecsq` quantizer (Choi, El-Khamy & Lee, "Towards the Limit of Network
 * Quantization", ICLR 2017): k-means, Hessian-weighted k-means, uniform quantization (ECSQ by
 * equal-width bins) or iterative ECSQ, over all quantized tensors jointly (one `levels`
 * codebook) or per tensor, optionally after magnitude pruning (sparse output). Reports each
 * group's entropy, distortion and search as `info` diagnostics (rule `hessian-ecsq-stats`).
 *
 * @param defaults - option defaults merged under the options given at run time.
 * @returns the quantizer plugin descriptor.
 * @example
 * ```ts
 * const q = instantiate(hessianEcsqQuantizer({ mode: "uniform", importance: "none", step: 0.01 }));
 * ```
 */
export function hessianEcsqQuantizer(defaults?: Partial<HessianEcsqOptionsInput>): QuantizerPlugin<HessianEcsqOptions> {
  return defineQuantizer({
    id: ID,
    version: VERSION,
    description: "Hessian-weighted k-means, uniform and iterative entropy-constrained scalar quantization, joint codebook, optional pruning (Choi et al. 2017).",
    options: hessianEcsqOptionsSchema,
    defaults,
    create(options) {
      const advice = capabilityAdvice(options);
      return {
        id: ID,
        needs: neededCapabilities(options),
        ...(advice !== undefined ? { capabilityAdvice: advice } : {}),
        async quantize(weights, ctx) {
          throwIfAborted(ctx);
          const importance = await fetchImportance(options, ctx);
          const r = quantizeHessianEcsq(weights, importance, options, () => throwIfAborted(ctx));
          for (const g of r.groups) {
            ctx.diagnostics.report({
              severity: "info",
              source: ID,
              ruleId: "hessian-ecsq-stats",
              message:
                `${options.mode} on ${g.count} values: ${g.levels} levels, entropy ${g.entropy.toFixed(4)} bits, weighted distortion ${g.weightedDistortion.toExponential(4)}, ${g.iterations} iterations${g.converged ? "" : " (iteration cap reached)"}` +
                (g.step !== undefined ? `, step ${g.step.toExponential(4)}` : "") +
                (g.lambda !== undefined ? `, lambda ${g.lambda.toExponential(4)}` : "") +
                (g.rateError !== undefined ? `, target ${g.targetBits} bits reached within ${g.rateError.toFixed(4)}` : ""),
              ...(options.scope === "layer" ? { tensor: g.tensors[0] } : {}),
            });
            if (!g.converged) ctx.diagnostics.report({ severity: "warning", source: ID, ruleId: "iteration-cap", message: `${options.mode} stopped at maxIterations=${options.maxIterations} before converging. Raise maxIterations.` });
          }
          ctx.progress.update(ID, 1, 1);
          return r.model;
        },
      };
    },
    auto: HESSIAN_ECSQ_AUTO,
  });
}

/**
 * hessian-ecsq as an `auto` candidate: exact 1-D k-means per tensor (mode `kmeans`, no importance,
 * one `levels` codebook per tensor, every level a float32 in the rate) at auto's default widths
 * (2–8). It spends a few levels on a handful of outliers wherever they sit and keeps the rest for
 * the ≈ 0 bulk. Exact k-means costs ≈ 20× a rounding grid per weight (costly for auto's cost
 * model). Third in auto's order (30).
 */
const HESSIAN_ECSQ_AUTO: AutoEligibility = Object.freeze({
  order: 30,
  candidates: Object.freeze([{ options: { mode: "kmeans", importance: "none", scope: "layer" } }]),
  costly: () => true,
});
