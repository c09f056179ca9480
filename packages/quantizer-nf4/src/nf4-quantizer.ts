import {
  groupSizeSchema,
  codeArray,
  assertFinite,
  defineQuantizer,
  perTensorQuantizer,
  requantizeValues,
  groupIndexMap,
  z,
  type AutoEligibility,
  type QuantizerPlugin,
  type ScaledLevelsCodebook,
  type TensorQuantization,
  type WeightTensor,
} from "@quantforge/core";
import { FP4_LEVELS, NF4_LEVELS, doubleQuantize, groupScales } from "./nf4-impl.js";
import { VERSION } from "./version.js";

/** zod schema of the nf4 options. */
export const nf4OptionsSchema = z.strictObject({
  /** Bits per code: 4 only (the level sets have 16 / 15 values); accepted so `--bits 4` works. @default 4 */
  bits: z.literal(4).default(4),
  /** `nf4` (NormalFloat-4) or `fp4` (E2M1). @default "nf4" */
  levels: z.enum(["nf4", "fp4"]).default("nf4"),
  /** Elements per group (row-major runs). @default 64 */
  groupSize: groupSizeSchema.default(64),
  /** Store the scales as 8-bit codes per group + one float32 step per `doubleQuantBlock` groups. @default false */
  doubleQuant: z.boolean().default(false),
  /** Scales per double-quantization block (QLoRA: 256). @default 256 */
  doubleQuantBlock: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(256),
});

/** Validated nf4 options. */
export type Nf4Options = z.output<typeof nf4OptionsSchema>;
/** nf4 options as a user writes them. */
export type Nf4OptionsInput = z.input<typeof nf4OptionsSchema>;

/** Quantizes one tensor onto a `scaledLevels` codebook: nearest level of fround(level·s_g). */
export function nf4QuantizeTensor(t: WeightTensor, o: Nf4Options): TensorQuantization {
  assertFinite(t);
  let scale = groupScales(t.data, o.groupSize);
  const dq = o.doubleQuant ? doubleQuantize(scale, o.doubleQuantBlock) : undefined;
  if (dq) scale = dq.scale;
  const levels = o.levels === "nf4" ? NF4_LEVELS : FP4_LEVELS;
  const cb: ScaledLevelsCodebook = { kind: "scaledLevels", id: "", levels, scale, ...(dq ? { scaleCodes: dq.scaleCodes } : {}) };
  const grouping = { kind: "group", size: o.groupSize } as const;
  const codes = codeArray(t.data.length, levels.length);
  requantizeValues(cb, t.data, groupIndexMap(t.shape, grouping), codes);
  return { codebook: { kind: "scaledLevels", levels, scale, ...(dq ? { scaleCodes: dq.scaleCodes } : {}) }, codes, grouping };
}

/**
 * The `nf4` quantizer plugin (QLoRA's NF4, or FP4 E2M1): per group, the absmax as a float16
 * scale and the nearest of 16 shared levels; optional double quantization of the scales.
 *
 * @param defaults - options applied under the run-time options
 */
export function nf4Quantizer(defaults?: Partial<Nf4OptionsInput>): QuantizerPlugin<Nf4Options> {
  return defineQuantizer({
    id: "nf4",
    version: VERSION,
    description: "NF4/FP4 (Dettmers et al. 2023, QLoRA): shared 4-bit levels × per-group float16 absmax scale (scaledLevels codebook), optional double quantization",
    options: nf4OptionsSchema,
    defaults,
    auto: NF4_AUTO,
    create: (o) => perTensorQuantizer("nf4", (t) => nf4QuantizeTensor(t, o)),
  });
}

/**
 * nf4 as an opt-in `auto` candidate (groups of 64 at 4 bits): auto's `fieldCandidates` collects it, users pass
 * it in auto's `candidates` option. Not tried by default: within the default time budget every
 * extra candidate leaves fewer measured by a forward pass, and adding gptq, hqq and nf4 by default
 * doubled auto's worst-output error on human's emotion.json at 4 bits/weight (0.0402 → 0.0802,
 * same budget, same seed).
 */
const NF4_AUTO: AutoEligibility = Object.freeze({
  order: 60,
  optIn: Object.freeze([{ options: { groupSize: 64 }, bits: [4] }]),
});
