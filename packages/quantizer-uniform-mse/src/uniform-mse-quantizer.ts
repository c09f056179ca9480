import {
  type AutoEligibility,
  aliasedEnum,
  channelAxisSchema,
  defineQuantizer,
  perTensorQuantizer,
  resolveChannelAxis,
  shapeSize,
  z,
  type Granularity,
  type Grouping,
  type OptionAliases,
  type QuantizerPlugin,
  type RunContext,
  type TensorQuantization,
  type WeightTensor,
} from "@quantforge/core";
import { designXMax, levelsFor } from "@quantforge/theory-laplacian";
import { uniformMseQuantize, type UniformMseLayout } from "./uniform-mse-impl.js";
import { VERSION } from "./version.js";

/**
 * Old option spellings uniform-mse still accepts (with a `deprecated-option` warning): `layer` was
 * its name for one σ per tensor, which is core's shared `granularity: "tensor"` (a weight tensor
 * is its layer's kernel; both took the same per-tensor path).
 */
export const UNIFORM_MSE_OPTION_ALIASES = Object.freeze({ granularity: Object.freeze({ layer: "tensor" }) }) satisfies OptionAliases;

/** The granularities uniform-mse implements: core's shared spellings, without `group`. */
const GRANULARITIES = ["tensor", "channel"] as const satisfies readonly Granularity[];

/** zod schema of the uniform-mse options (defaults applied by it). */
export const uniformMseOptionsSchema = z
  .strictObject({
    /** Bits per code R, 1–16: N = 2^R levels. @default 8 */
    bits: z.number().int().min(1).max(16).default(8),
    /** Support region of the σ = 1 design: the MSE `optimal` root or paper 000's `iterative` rule. @default "optimal" */
    design: z.enum(["optimal", "iterative"]).default("optimal"),
    /**
     * `matched`: scale each group by its own σ = RMS into the σ = 1 design and back;
     * `mismatched`: raw weights into the σ = 1 design (paper 000's variance-mismatch setting). @default "matched"
     */
    mode: z.enum(["matched", "mismatched"]).default("matched"),
    /** One σ per `tensor` or per `channel` along `axis` (`layer`: deprecated spelling of `tensor`). @default "tensor" */
    granularity: aliasedEnum(GRANULARITIES, UNIFORM_MSE_OPTION_ALIASES.granularity).default("tensor"),
    /**
     * Channel axis for `granularity: "channel"`: `"output"` (the layer's output channels as the
     * model format records them; the last axis when unknown), `"input"`, or a number (negative
     * counts from the end). @default "output"
     */
    axis: channelAxisSchema.default("output"),
    /**
     * Midtread variant (beyond the papers): N = 2^R − 1 levels with 0 a level, the central cell
     * [−Δ/2, Δ/2] maps to exactly 0, x_max the MSE-optimal midtread root (theory-laplacian).
     * Needs R ≥ 2 and `design: "optimal"`. Default false: the papers' midrise quantizer.
     * @default false
     */
    midtread: z.boolean().default(false),
  })
  .refine((o) => !o.midtread || (o.bits >= 2 && o.design === "optimal"), { error: 'midtread needs bits ≥ 2 and design "optimal" (the iterative rule is midrise only)', path: ["midtread"] });

/** Validated uniform-mse options. */
export type UniformMseOptions = z.output<typeof uniformMseOptionsSchema>;
/** uniform-mse options as a user writes them (every field optional). */
export type UniformMseOptionsInput = z.input<typeof uniformMseOptionsSchema>;

/**
 * The grouping and loop layout of one tensor. Mismatched mode stores the single
 * design σ = 1, so it always uses one group. A rank-0 tensor has no channel axis and is one group.
 *
 * @throws {ShapeMismatchError} when the channel axis does not exist in the tensor.
 */
export function uniformMseGrouping(t: Pick<WeightTensor, "name" | "shape" | "outputAxis" | "inputAxis">, o: Pick<UniformMseOptions, "granularity" | "axis" | "mode">): { grouping: Grouping; layout: UniformMseLayout } {
  if (o.granularity !== "channel" || o.mode === "mismatched" || t.shape.length === 0) return { grouping: { kind: "tensor" }, layout: { kind: "tensor" } };
  const axis = resolveChannelAxis(t, o.axis, "uniform-mse");
  return {
    grouping: { kind: "channel", axis },
    layout: { kind: "channel", outer: shapeSize(t.shape.slice(0, axis)), channels: t.shape[axis]!, inner: shapeSize(t.shape.slice(axis + 1)) },
  };
}

/** Quantizes one tensor with validated options (the per-tensor function the plugin lifts). */
export function uniformMseQuantizeTensor(t: WeightTensor, o: UniformMseOptions, ctx?: RunContext): TensorQuantization {
  const { grouping, layout } = uniformMseGrouping(t, o);
  const midtread = o.midtread;
  const levels = levelsFor(o.bits, { midtread });
  const r = uniformMseQuantize(t.data, layout, { levels, xMax: designXMax(o.bits, o.design, { midtread }), mode: o.mode, midtread });
  if (ctx && r.zeroGroups > 0) {
    ctx.diagnostics.report({
      severity: "info",
      source: "uniform-mse",
      ruleId: "zero-sigma",
      tensor: t.name,
      message: `${r.zeroGroups} of ${r.sigma.length} group(s) of "${t.name}" have σ = 0 (all zeros); they decode to exactly 0.`,
    });
  }
  if (ctx && r.cappedGroups > 0) {
    ctx.diagnostics.report({
      severity: "warning",
      source: "uniform-mse",
      ruleId: "sigma-capped",
      tensor: t.name,
      message: `${r.cappedGroups} group(s) of "${t.name}" have a σ so large that the outer level would overflow float32; σ was lowered and those groups clip more. Rescale the weights.`,
    });
  }
  return {
    codebook: { kind: "grid", levels, xMax: r.xMax, midtread, sigma: r.sigma, mu: r.mu, sigmaSource: o.mode === "matched" ? "rms" : "design" },
    codes: r.codes,
    grouping,
  };
}

/**
 * The `uniform-mse` quantizer plugin: the MSE-optimal N = 2^R-level midrise uniform quantizer
 * designed for a unit-variance Laplacian source (Perić et al. 2021), applied per tensor or
 * channel in `matched` mode (scaled by the group's RMS) or raw in `mismatched` mode. Each tensor
 * gets its own `grid` codebook (levels, x_max, σ and μ = 0 per group), so decoding needs only
 * what is stored and the parameters count in the size.
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(uniformMseQuantizer({ bits: 9, mode: "mismatched" })).run();
 * ```
 */
export function uniformMseQuantizer(defaults?: Partial<UniformMseOptionsInput>): QuantizerPlugin<UniformMseOptions> {
  return defineQuantizer({
    id: "uniform-mse",
    version: VERSION,
    description: "MSE-optimal uniform quantizer for a Laplacian source (optimal or iterative x_max), matched or variance-mismatched, per tensor or channel; midrise (papers) or midtread (exact zero).",
    options: uniformMseOptionsSchema,
    optionAliases: UNIFORM_MSE_OPTION_ALIASES,
    defaults,
    create: (o) => perTensorQuantizer("uniform-mse", (t, ctx) => uniformMseQuantizeTensor(t, o, ctx)),
    auto: UNIFORM_MSE_AUTO,
  });
}

/**
 * uniform-mse as an `auto` candidate, at auto's default widths (2–8): per output channel midtread
 * (0 is a level) and per tensor (the papers' midrise). Per-tensor grids search x_max over the
 * whole tensor, ≈ 20× a rounding grid per weight, so they are costly for auto's cost model;
 * per-channel grids are not. Second in auto's order (20).
 */
const UNIFORM_MSE_AUTO: AutoEligibility = Object.freeze({
  order: 20,
  candidates: Object.freeze([{ options: { granularity: "channel", axis: "output", midtread: true } }, { options: { granularity: "tensor" } }]),
  costly: (o: Readonly<Record<string, unknown>>) => o.granularity !== "channel",
});
