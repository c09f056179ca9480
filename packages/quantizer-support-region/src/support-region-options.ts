import { aliasedEnum, channelAxisSchema, scopeSchema, z, type OptionAliases, type QuantizedModel } from "@quantforge/core";
import type { SupportOrigin } from "./support-resolve.js";
import { supportSpecProblem } from "./support-spec.js";

/** Id of the one codebook every tensor references in joint scope (kept: it is stored in `.qf` files). */
export const GLOBAL_CODEBOOK_ID = "support-region/global";

/**
 * Old option spellings support-region still accepts (with a `deprecated-option` warning): its
 * `global` scope (one μ, σ and codebook over every quantized tensor, the paper's "global") is
 * what the other quantizers call `joint` (core's shared `scopeSchema`).
 */
export const SUPPORT_REGION_OPTION_ALIASES = Object.freeze({ scope: Object.freeze({ global: "joint" }) }) satisfies OptionAliases;

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
