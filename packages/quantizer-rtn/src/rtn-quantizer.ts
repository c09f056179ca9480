import {
  granularitySchema,
  groupSizeSchema,
  channelAxisSchema,
  defineQuantizer,
  dequantizeCodes,
  groupIndexMap,
  perTensorQuantizer,
  resolveChannelAxis,
  shapeSize,
  z,
  type AutoEligibility,
  type ChannelAxis,
  type Grouping,
  type QuantizerPlugin,
  type RunContext,
  type TensorQuantization,
  type WeightTensor,
} from "@quantforge/core";
import { rtnQuantize, type RtnLayout } from "./rtn-impl.js";
import { VERSION } from "./version.js";

/** zod schema of the rtn options (defaults applied by it). */
export const rtnOptionsSchema = z
  .strictObject({
    /** Bits per code, 1–16. @default 8 */
    bits: z.number().int().min(1).max(16).default(8),
    /** `asymmetric` min/max grid (2^b levels) or `symmetric` around 0 (2^b − 1 levels). @default "asymmetric" */
    scheme: z.enum(["asymmetric", "symmetric"]).default("asymmetric"),
    /** Asymmetric only: `exact` nudges the grid so 0 is a level (tfjs-converter); `free` starts at min. @default "exact" */
    zero: z.enum(["exact", "free"]).default("exact"),
    /** One grid per `tensor`, per `channel` along `axis`, or per `group` of `groupSize` elements. @default "tensor" */
    granularity: granularitySchema.default("tensor"),
    /**
     * Channel axis for `granularity: "channel"`: `"output"` (the layer's output channels as the
     * model format records them; the last axis when unknown), `"input"`, `"best"` (per tensor,
     * whichever of the output and input axes gives the lower squared weight error — outliers
     * confined to a few input rows defeat per-output-channel scales), or a number (negative counts
     * from the end). @default "output"
     */
    axis: z.union([channelAxisSchema, z.literal("best")]).default("output"),
    /** Elements per group (row-major runs) for `granularity: "group"`. @default 128 */
    groupSize: groupSizeSchema.default(128),
  })
  .superRefine((o, ctx) => {
    if (o.scheme === "symmetric" && o.bits < 2) {
      ctx.addIssue({ code: "custom", path: ["bits"], message: "must be at least 2 with scheme symmetric (2^b − 1 levels; 1 bit leaves only the level 0)" });
    }
    if (o.scheme === "symmetric" && o.zero === "free") {
      ctx.addIssue({ code: "custom", path: ["zero"], message: "cannot be free with scheme symmetric (its zero point is always 2^(b−1) − 1); drop the option" });
    }
  });

/** Validated rtn options. */
export type RtnOptions = z.output<typeof rtnOptionsSchema>;
/** rtn options as a user writes them (every field optional). */
export type RtnOptionsInput = z.input<typeof rtnOptionsSchema>;

/**
 * The grouping and loop layout of one tensor for the chosen granularity.
 *
 * @throws {ShapeMismatchError} when the channel axis does not exist in the tensor.
 */
export function rtnGrouping(t: Pick<WeightTensor, "name" | "shape" | "outputAxis" | "inputAxis">, o: Pick<RtnOptions, "granularity" | "groupSize"> & { readonly axis: ChannelAxis }): { grouping: Grouping; layout: RtnLayout } {
  if (o.granularity === "group") return { grouping: { kind: "group", size: o.groupSize }, layout: { kind: "group", size: o.groupSize } };
  if (o.granularity === "tensor" || t.shape.length === 0) return { grouping: { kind: "tensor" }, layout: { kind: "tensor" } };
  const axis = resolveChannelAxis(t, o.axis, "rtn");
  const channels = t.shape[axis]!;
  const inner = shapeSize(t.shape.slice(axis + 1));
  const outer = shapeSize(t.shape.slice(0, axis));
  return { grouping: { kind: "channel", axis }, layout: { kind: "channel", outer, channels, inner } };
}

/** Σ (dequantized − original)² of one tensor's codes on a grouping (float64 accumulation). */
function squaredError(t: WeightTensor, r: ReturnType<typeof rtnQuantize>, grouping: Grouping): number {
  const out = new Float32Array(t.data.length);
  dequantizeCodes({ kind: "affine", id: "", levels: r.levels, scale: r.scale, zeroPoint: r.zeroPoint }, r.codes, grouping.kind === "tensor" ? null : groupIndexMap(t.shape, grouping), out);
  let s = 0;
  for (let i = 0; i < out.length; i++) {
    const d = out[i]! - t.data[i]!;
    s += d * d;
  }
  return s;
}

/**
 * The grouping and codes for `axis: "best"`: the output- and input-channel grids are both
 * computed and the one with the lower squared weight error kept (the output axis on ties).
 */
function bestAxis(t: WeightTensor, o: RtnOptions): { grouping: Grouping; r: ReturnType<typeof rtnQuantize> } {
  const out = rtnGrouping(t, { ...o, axis: "output" });
  const rOut = rtnQuantize(t.data, out.layout, o, t.name);
  const inp = rtnGrouping(t, { ...o, axis: "input" });
  if (out.grouping.kind !== "channel" || inp.grouping.kind !== "channel" || inp.grouping.axis === out.grouping.axis) return { grouping: out.grouping, r: rOut };
  const rIn = rtnQuantize(t.data, inp.layout, o, t.name);
  return squaredError(t, rIn, inp.grouping) < squaredError(t, rOut, out.grouping) ? { grouping: inp.grouping, r: rIn } : { grouping: out.grouping, r: rOut };
}

/** Quantizes one tensor with validated options (the per-tensor function the plugin lifts). */
export function rtnQuantizeTensor(t: WeightTensor, o: RtnOptions, ctx?: RunContext): TensorQuantization {
  let grouping: Grouping, r: ReturnType<typeof rtnQuantize>;
  if (o.granularity === "channel" && o.axis === "best") {
    ({ grouping, r } = bestAxis(t, o));
  } else {
    const g = rtnGrouping(t, { ...o, axis: o.axis === "best" ? "output" : o.axis });
    grouping = g.grouping;
    r = rtnQuantize(t.data, g.layout, o, t.name);
  }
  if (ctx && r.constantGroups > 0) {
    const total = r.scale.length;
    ctx.diagnostics.report({
      severity: "info",
      source: "rtn",
      ruleId: "constant-group",
      tensor: t.name,
      message: `${r.constantGroups} of ${total} group(s) of "${t.name}" are constant; they are stored exactly (scale = |value|).`,
    });
  }
  if (ctx && r.clippedGroups > 0) {
    ctx.diagnostics.report({
      severity: "warning",
      source: "rtn",
      ruleId: "range-clipped",
      tensor: t.name,
      message: `${r.clippedGroups} group(s) of "${t.name}" span a range no float32 ${o.bits}-bit grid can cover; their extremes are clipped. Use more bits or a finer granularity.`,
    });
  }
  return { codebook: { kind: "affine", levels: r.levels, scale: r.scale, zeroPoint: r.zeroPoint }, codes: r.codes, grouping };
}

/**
 * The `rtn` quantizer plugin: min/max affine round-to-nearest, what tfjs-converter, TFLite and
 * most toolkits do by default. Each tensor gets its own `affine` codebook (one scale/zero point
 * per group).
 *
 * @param defaults - Options applied under the options given at run time.
 * @returns A side-effect-free quantizer descriptor.
 * @example
 * ```ts
 * const r = await pipeline().weights(ws).quantize(rtnQuantizer({ bits: 4, granularity: "channel", axis: -1 })).run();
 * ```
 */
export function rtnQuantizer(defaults?: Partial<RtnOptionsInput>): QuantizerPlugin<RtnOptions> {
  return defineQuantizer({
    id: "rtn",
    version: VERSION,
    description: "Min/max affine round-to-nearest (tfjs-converter/TFLite baseline); asymmetric or symmetric, per tensor, channel or group.",
    options: rtnOptionsSchema,
    defaults,
    create: (o) => perTensorQuantizer("rtn", (t, ctx) => rtnQuantizeTensor(t, o, ctx)),
    auto: RTN_AUTO,
  });
}

/** Widths of the cheap rtn candidates of `auto`: beyond 8 bits too (see the declaration below). */
const WIDE_BITS: readonly number[] = Object.freeze([2, 3, 4, 5, 6, 7, 8, 10, 12]);

/**
 * rtn as an `auto` candidate (zero exact, so 0 stays a level): per output channel, per **input**
 * channel, per group of 32 and of 128 elements, and per tensor (tfjs-converter's grid). Each is
 * tried up to 12 bits, so a sensitive tensor can buy more than 8 bits with what cheaper choices
 * elsewhere save (per-channel 8-bit costs > 8 bits/weight with its scales, so an 8-bit budget
 * cannot afford it everywhere) — except groups of 32, up to 10 bits (their scales already cost
 * 2 bits/weight). Per output channel isolates outliers that sit in a few output channels, per
 * input channel those in a few input rows even when every output channel holds one; groups sit
 * between them. Groups are runs of consecutive row-major elements, i.e. in a tfjs kernel along
 * the output channels inside one input row. First in auto's order (10): the cheapest grids.
 */
const RTN_AUTO: AutoEligibility = Object.freeze({
  order: 10,
  candidates: Object.freeze([
    { options: { granularity: "channel", axis: "output", zero: "exact" }, bits: WIDE_BITS },
    { options: { granularity: "channel", axis: "input", zero: "exact" }, bits: WIDE_BITS },
    { options: { granularity: "group", groupSize: 32, zero: "exact" }, bits: [2, 3, 4, 5, 6, 7, 8, 10] },
    { options: { granularity: "group", groupSize: 128, zero: "exact" }, bits: WIDE_BITS },
    { options: { granularity: "tensor", zero: "exact" }, bits: WIDE_BITS },
  ]),
});
